/**
 * What vouchers and recycling need to know about claims, without importing the claims lib (which imports them):
 * the claims lib provides it (libs/claims/src/live-claims.provider.ts, global), they inject it by this token.
 * A claim is live unless rejected or cancelled (claims' `LIVE_CLAIM_SQL`).
 */
export const LIVE_CLAIMS = Symbol('LIVE_CLAIMS');

/** The transaction to read in: a `Tx` (@huanxin/database's EntityManager), which core cannot import. */
export interface LiveClaimsTx {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

export interface LiveClaims {
  /** How many live claims the household has in the programme (its per-household limit counts these). */
  countForHousehold(tx: LiveClaimsTx, programId: string, householdId: string): Promise<number>;
  /** The id of the live claim that used the recycler's receipt `rid`, if one did. */
  claimUsingReceipt(tx: LiveClaimsTx, issuer: string, rid: string): Promise<string | undefined>;
  /**
   * How many of the programme's claims in `city` were rejected or cancelled in [from, to): each gave its voucher's
   * place (and money) back to the city that day — the waitlist's returned capacity (issue 13, allocation).
   */
  endedInCity(tx: LiveClaimsTx, programId: string, city: string, from: Date, to: Date): Promise<number>;
  /** Of the recycler's receipt ids, those a live claim used (a recycler's receipt list, issue 13). */
  receiptsUsed(tx: LiveClaimsTx, issuer: string, rids: string[]): Promise<Set<string>>;
  /**
   * The recycler confirmed the receipt's set dismantled: a claim held for it (`dismantling = 'held'`) is released
   * (`confirmed`), in the caller's transaction. Answers the ids of the claims released.
   */
  releaseDismantlingHold(tx: LiveClaimsTx, issuer: string, rid: string): Promise<string[]>;
}
