import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { admin } from '../pages/admin/messages';
import { payoutDetails } from '../pages/admin/payout-details-messages';
import { auditor } from '../pages/auditor/messages';
import { cashier } from '../pages/cashier/messages';
import { household } from '../pages/household/messages';
import { allocation } from '../pages/household/allocation-messages';
import { recycler } from '../pages/recycler/messages';
import { common } from './common';
import { errors } from './errors';
import { shanghaiDate, shanghaiTime, yuan, type Lang } from './format';

const zh = { ...common.zh, ...errors.zh, ...household.zh, ...allocation.zh, ...cashier.zh, ...recycler.zh, ...auditor.zh, ...admin.zh, ...payoutDetails.zh };
const en = { ...common.en, ...errors.en, ...household.en, ...allocation.en, ...cashier.en, ...recycler.en, ...auditor.en, ...admin.en, ...payoutDetails.en };
export type MessageKey = keyof typeof zh;
// every key in both languages, checked by the compiler
const _sameKeys: Record<MessageKey, string> = en satisfies Record<keyof typeof en, string>;
const _sameKeysBack: Record<keyof typeof en, string> = zh;
void _sameKeys;
void _sameKeysBack;
const MESSAGES: Record<Lang, Record<MessageKey, string>> = { zh, en };

export interface I18n {
  lang: Lang;
  setLang(lang: Lang): void;
  t(key: MessageKey, vars?: Record<string, string | number>): string;
  /** A problem code in the reader's language (unknown codes say so, with the code). */
  problem(code: string): string;
  yuan(fen: number): string;
  time(iso: string | null | undefined): string;
  date(iso: string | null | undefined): string;
}

const LANG_KEY = 'huanxin.lang';
const Ctx = createContext<I18n | undefined>(undefined);

function initialLang(): Lang {
  const url = new URLSearchParams(window.location.search).get('lang');
  if (url === 'en' || url === 'zh') return url;
  const saved = window.localStorage.getItem(LANG_KEY);
  return saved === 'en' ? 'en' : 'zh';
}

export function LangProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);
  useEffect(() => {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  }, [lang]);
  const setLang = useCallback((l: Lang) => {
    window.localStorage.setItem(LANG_KEY, l);
    setLangState(l);
  }, []);
  const value = useMemo<I18n>(() => {
    const dict = MESSAGES[lang];
    const t = (key: MessageKey, vars?: Record<string, string | number>) =>
      (dict[key] ?? key).replace(/\{(\w+)\}/g, (_, k: string) => String(vars?.[k] ?? `{${k}}`));
    return {
      lang, setLang, t,
      problem: (code) => (`errors.${code}` in dict ? dict[`errors.${code}` as MessageKey] : t('errors.unknown', { code })),
      yuan,
      time: (iso) => shanghaiTime(iso, lang),
      date: (iso) => shanghaiDate(iso, lang),
    };
  }, [lang, setLang]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useI18n(): I18n {
  const v = useContext(Ctx);
  if (!v) throw new Error('useI18n outside LangProvider');
  return v;
}
