import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AuditLogModule } from '@huanxin/audit-log';
import { ConfigModule, loadConfig } from '@huanxin/config';
import { Actor, CoreModule, DomainError } from '@huanxin/core';
import { DatabaseModule, resolveDatabase, runMigrations } from '@huanxin/database';
import { BankImportService, SettlementModule } from '@huanxin/settlement';

const IMPORT_ACTOR: Actor = { kind: 'system', id: 'payouts-import' };

/**
 * `npm run payouts:import -- <file> [<file> …]`: imports the bank's answers to our pain.001 payment files —
 * a pain.002 status report, a camt.053 statement, or a CSV (`end_to_end_id,status,amount,reason`; see
 * libs/settlement/src/bank/bank-status.ts) — marking payouts paid or failed. Each file is imported once; a
 * second import of the same file changes nothing. Prints one JSON report per file.
 */
async function main(): Promise<void> {
  const files = process.argv.slice(2).filter((a) => a !== '--');
  if (!files.length || files.includes('-h') || files.includes('--help')) {
    console.error('usage: npm run payouts:import -- <pain.002 | camt.053 | csv file> [more files]');
    process.exit(files.length ? 0 : 2);
  }
  const config = loadConfig();
  const db = await resolveDatabase(config);
  if (config.migrateOnStart) await runMigrations({ url: db.url });

  @Module({
    imports: [
      ConfigModule.forRoot(config), CoreModule, DatabaseModule.forRoot({ url: db.url, poolSize: 2, applicationName: 'huanxin-payouts-import' }),
      AuditLogModule, SettlementModule,
    ],
  })
  class PayoutsImportModule {}

  const app = await NestFactory.createApplicationContext(PayoutsImportModule, { logger: ['error', 'warn'] });
  let failed = false;
  try {
    const importer = app.get(BankImportService);
    for (const file of files) {
      const path = resolve(file);
      process.stderr.write(`[payouts:import] ${path} …\n`);
      try {
        const report = await importer.importFile(IMPORT_ACTOR, path, readFileSync(path));
        process.stdout.write(`${JSON.stringify(report)}\n`);
        process.stderr.write(
          `[payouts:import] ${report.format}: ${report.records} records, ${report.paid} paid, ${report.failed} failed, ${report.unchanged} unchanged` +
          `${report.unmatched.length ? `, ${report.unmatched.length} unmatched` : ''}${report.amountMismatches.length ? `, ${report.amountMismatches.length} amount mismatches` : ''}` +
          `${report.duplicate ? ' (imported before: nothing changed)' : ''}\n`,
        );
      } catch (err) {
        failed = true;
        process.stderr.write(`[payouts:import] ${path}: ${err instanceof DomainError || err instanceof Error ? err.message : String(err)}\n`);
      }
    }
  } finally {
    await app.close();
    await db.stop();
  }
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
