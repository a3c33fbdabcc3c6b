import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A secret kept between restarts on a developer's machine: `DATA_DIR/dev-secrets.json` holds it under `name`,
 * made once by `generate`. Production never gets here (its secrets come from the environment).
 */
export function devSecret(dataDir: string, name: string, generate: () => string): { value: string; file: string } {
  const file = join(dataDir, 'dev-secrets.json');
  let stored: Record<string, string> = {};
  if (existsSync(file)) stored = JSON.parse(readFileSync(file, 'utf8'));
  if (!stored[name]) {
    stored[name] = generate();
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
  }
  return { value: stored[name], file };
}
