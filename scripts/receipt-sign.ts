import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { isValidResidentId, normaliseResidentId } from '@huanxin/core';
import type { JWK } from 'jose';
import { signReceipt } from '@huanxin/recycling';

/**
 * `npm run receipt:sign -- --holder <ID number>`: prints a recycling receipt signed with the demo
 * recycler's key (written under DATA_DIR by the demo seed), so a person can walk voucher → trade-in by hand.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      holder: { type: 'string' },
      rid: { type: 'string' },
      'issued-at': { type: 'string' },
      category: { type: 'string', default: 'tv' },
      brand: { type: 'string', default: 'Sony' },
      model: { type: 'string', default: 'KDL-42W800' },
      serial: { type: 'string' },
      inches: { type: 'string', default: '42' },
      key: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.holder) {
    console.error('usage: npm run receipt:sign -- --holder <ID number> [--rid R-…] [--issued-at 2026-11-11T09:00:00+08:00] [--category tv] [--key .data/demo-recycler-key.json]');
    process.exit(values.help ? 0 : 2);
  }
  const holder = normaliseResidentId(values.holder);
  if (!isValidResidentId(holder)) throw new Error('--holder must be a valid 18-character resident ID number');
  const keyFile = resolve(values.key ?? join(process.env.DATA_DIR ?? '.data', 'demo-recycler-key.json'));
  const key = JSON.parse(readFileSync(keyFile, 'utf8')) as { recyclerId: string; kid: string; privateKeyJwk: JWK };
  const issuedAt = values['issued-at'] ? new Date(values['issued-at']) : new Date();
  if (Number.isNaN(issuedAt.getTime())) throw new Error('--issued-at must be an RFC 3339 time');
  const jws = await signReceipt({
    recyclerId: key.recyclerId,
    kid: key.kid,
    privateKey: key.privateKeyJwk,
    rid: values.rid ?? `R-${randomBytes(6).toString('hex').toUpperCase()}`,
    holderIdNumber: holder,
    issuedAt,
    device: {
      category: values.category!, brand: values.brand, model: values.model,
      serialNumber: values.serial ?? `OLD-${randomBytes(4).toString('hex').toUpperCase()}`, screenInches: Number(values.inches),
    },
  });
  process.stdout.write(`${jws}\n`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
