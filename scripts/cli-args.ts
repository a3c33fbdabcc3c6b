import { readFileSync } from 'node:fs';

/** A command line the offline verifiers cannot run with: printed with their usage, exit code 2. */
export class UsageError extends Error {}

/** A JSON file given on the command line; unreadable or not JSON is a UsageError naming `what` it should have been. */
export function readJson(path: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read the ${what} ${path}: ${err instanceof Error ? err.message : err}`);
  }
}
