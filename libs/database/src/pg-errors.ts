/** PostgreSQL error helpers: constraint names are how the domain learns which promise the database kept. */
export function pgCode(err: unknown): string | undefined {
  const e = err as { code?: string; driverError?: { code?: string } };
  return e?.driverError?.code ?? e?.code;
}

export function pgConstraint(err: unknown): string | undefined {
  const e = err as { constraint?: string; driverError?: { constraint?: string } };
  return e?.driverError?.constraint ?? e?.constraint;
}

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  return pgCode(err) === '23505' && (constraint === undefined || pgConstraint(err) === constraint);
}

export function isCheckViolation(err: unknown, constraint?: string): boolean {
  return pgCode(err) === '23514' && (constraint === undefined || pgConstraint(err) === constraint);
}

/**
 * TypeORM's postgres driver answers UPDATE/DELETE … RETURNING with `[rows, affectedCount]` and
 * INSERT/SELECT with `rows`: this gives the rows either way.
 */
export function returnedRows<T = any>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}
