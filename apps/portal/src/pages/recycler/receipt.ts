/** A recycling receipt's payload as signed (API.md "Recycling receipts"); read here, never verified here. */
export interface SlipReceipt {
  /** the compact JWS, whitespace removed: what the QR code carries */
  jws: string;
  rid: string;
  iss?: string;
  issuedAt: string;
  holderIdHash: string;
  device: { category: string; brand?: string; model?: string; serialNumber?: string; screenInches?: number };
}

export type SlipProblem = 'shape' | 'json' | 'fields';

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function base64urlJson(part: string): unknown {
  const b64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
}

const text = (v: unknown, max = 200) => (typeof v === 'string' && v.length > 0 && v.length <= max ? v : undefined);

/**
 * Decodes a pasted receipt locally (base64url JSON): its shape only. The signature, key and certification are the
 * platform's to check when the receipt is used at the till; the slip says "as signed by the recycler".
 */
export function decodeReceipt(input: string): { receipt: SlipReceipt } | { problem: SlipProblem } {
  const jws = input.replace(/\s+/g, '');
  if (jws.length > 8192 || !COMPACT_JWS.test(jws)) return { problem: 'shape' };
  let header: unknown;
  let payload: unknown;
  try {
    [header, payload] = jws.split('.').slice(0, 2).map(base64urlJson);
  } catch {
    return { problem: 'json' };
  }
  if (!header || typeof header !== 'object' || Array.isArray(header) || !payload || typeof payload !== 'object' || Array.isArray(payload)) return { problem: 'json' };
  const p = payload as Record<string, unknown>;
  const d = p.device as Record<string, unknown> | undefined;
  const rid = text(p.rid);
  const iat = p.iat;
  const holderIdHash = typeof p.holderIdHash === 'string' && /^[0-9a-f]{64}$/.test(p.holderIdHash) ? p.holderIdHash : undefined;
  if (!rid || typeof iat !== 'number' || !Number.isSafeInteger(iat) || iat <= 0 || iat > 253402300799 || !holderIdHash
    || !d || typeof d !== 'object' || Array.isArray(d) || !text(d.category)) return { problem: 'fields' };
  const inches = d.screenInches;
  return {
    receipt: {
      jws, rid, iss: text(p.iss), issuedAt: new Date(iat * 1000).toISOString(), holderIdHash,
      device: {
        category: d.category as string, brand: text(d.brand), model: text(d.model), serialNumber: text(d.serialNumber),
        screenInches: typeof inches === 'number' && Number.isFinite(inches) && inches > 0 ? inches : undefined,
      },
    },
  };
}

/** A digest shortened for people to compare by eye: its first 8 and last 4 characters. */
export function shortHash(hash: string): string {
  return hash.length > 16 ? `${hash.slice(0, 8)}…${hash.slice(-4)}` : hash;
}
