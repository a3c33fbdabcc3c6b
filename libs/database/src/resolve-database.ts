import type { AppConfig } from '@huanxin/config';
import { startEmbeddedPostgres } from './embedded';

export interface ResolvedDatabase {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

/** DATABASE_URL when set; otherwise an embedded PostgreSQL under the data folder. */
export async function resolveDatabase(config: AppConfig): Promise<ResolvedDatabase> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: false, stop: async () => undefined };
  const pg = await startEmbeddedPostgres(config.dataDir, config.embeddedPgPort);
  return { url: pg.url, embedded: true, stop: () => pg.stop() };
}
