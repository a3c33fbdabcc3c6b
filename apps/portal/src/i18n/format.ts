export type Lang = 'zh' | 'en';

/** Fen as yuan: `¥1,199.80`, `-¥20.00` (the same in both languages, as on a till receipt). */
export function yuan(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(Math.trunc(fen));
  const whole = Math.floor(abs / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}¥${whole}.${String(abs % 100).padStart(2, '0')}`;
}

const dateTime = { zh: new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', dateStyle: 'medium', timeStyle: 'short' }),
  en: new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', dateStyle: 'medium', timeStyle: 'short' }) };
const dateOnly = { zh: new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', dateStyle: 'medium' }),
  en: new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', dateStyle: 'medium' }) };

/** A time in the programme's zone (Asia/Shanghai), whatever the device's zone. */
export function shanghaiTime(iso: string | null | undefined, lang: Lang): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : dateTime[lang].format(d);
}

export function shanghaiDate(iso: string | null | undefined, lang: Lang): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : dateOnly[lang].format(d);
}

/** `2026-11-11T10:30:00+08:00` for "now" (or a `datetime-local` value read as Shanghai time). */
export function shanghaiIso(local?: string): string {
  if (local) return `${local.length === 16 ? `${local}:00` : local}+08:00`;
  const shifted = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 19);
  return `${shifted}+08:00`;
}

/** The value of a `datetime-local` control for "now" in Shanghai. */
export function shanghaiLocalNow(): string {
  return new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 16);
}

/** Parses a yuan amount typed at the till (`5999`, `5,999.00`, `¥5999.9`) into fen; undefined if it is not one. */
export function parseYuan(text: string): number | undefined {
  const s = text.replace(/[¥,\s]/g, '');
  if (!/^\d{1,9}(\.\d{1,2})?$/.test(s)) return undefined;
  const [whole, frac = ''] = s.split('.');
  return Number(whole) * 100 + Number(frac.padEnd(2, '0'));
}
