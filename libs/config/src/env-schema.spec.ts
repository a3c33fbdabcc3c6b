import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config';
import { describeEnv, ENV_SCHEMA } from './env-schema';

/**
 * Every variable named in README.md's configuration tables (the `| variable | default | meaning |` ones: the
 * Configuration section's and the Settlement section's). A row may name several, and `_IBAN` after
 * `BANK_DEBTOR_ACCOUNT` abbreviates `BANK_DEBTOR_IBAN`.
 */
function documentedVariables(markdown: string): string[] {
  const names: string[] = [];
  let inTable = false;
  for (const line of markdown.split('\n')) {
    if (line.trim() === '| variable | default | meaning |') inTable = true;
    else if (!line.startsWith('|')) inTable = false;
    else if (inTable) {
      let previous: string | undefined;
      for (const [, token] of line.split('|')[1].matchAll(/`(_?[A-Z][A-Z0-9_]*)`/g)) {
        const name = token.startsWith('_') && previous ? previous.slice(0, previous.lastIndexOf('_')) + token : token;
        names.push(name);
        previous = name;
      }
    }
  }
  return names;
}

describe('the environment schema', () => {
  it('is documented: README.md lists exactly the variables of the schema', () => {
    const documented = documentedVariables(readFileSync(join(__dirname, '../../../README.md'), 'utf8'));
    const undocumented = describeEnv()
      .filter((v) => !documented.includes(v.name))
      .map((v) => `| \`${v.name}\` | ${v.default} | ${v.desc} |`);
    expect(undocumented).toEqual([]);
    expect(documented.filter((name) => !(name in ENV_SCHEMA))).toEqual([]);
    expect(documented.filter((name, i) => documented.indexOf(name) !== i)).toEqual([]);
  });

  it('holds defaults that pass their own validators (envalid does not check defaults)', () => {
    for (const [name, spec] of Object.entries(ENV_SCHEMA) as [string, { _parse: (raw: string) => unknown; default?: unknown; devDefault?: unknown }][]) {
      for (const value of [spec.default, spec.devDefault].filter((v) => v !== undefined)) {
        expect([name, spec._parse(String(value))]).toEqual([name, value]);
      }
    }
  });

  it('reports every malformed variable at once, one line each naming it', () => {
    const env = { DATA_DIR: mkdtempSync(join(tmpdir(), 'hx-schema-')), PORT: 'eighty', BODY_LIMIT: 'lots', PAYOUT_GATEWAY: 'stripe' };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(
      ['PORT must be an integer, got "eighty"', 'BODY_LIMIT must be a size in bytes such as 100kb or 1mb, got "lots"', 'PAYOUT_GATEWAY=stripe needs STRIPE_SECRET_KEY'].join('\n'),
    );
  });
});
