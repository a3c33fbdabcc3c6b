import { Gauge } from 'prom-client';
import { readReplicaStats, ReplicaState } from '@huanxin/database';
import { registry } from './metrics';

const STATES: readonly ReplicaState[] = ['off', 'unknown', 'up', 'lagging', 'down'];

/** Where this process's replica reads go (DATABASE_READ_URL; libs/database/src/read-database.ts): 1 for the current state. */
new Gauge({
  name: 'huanxin_read_replica_state',
  help: 'The read replica as this process last judged it: off (none configured), unknown, up, lagging or down (1: current)',
  labelNames: ['state'] as const,
  registers: [registry],
  collect() {
    for (const s of STATES) this.set({ state: s }, readReplicaStats.state === s ? 1 : 0);
  },
});

new Gauge({
  name: 'huanxin_read_replica_lag_ms',
  help: 'How far behind the primary the read replica was at the last check (ms, to the check interval)',
  registers: [registry],
  collect() {
    this.set(readReplicaStats.lagMs);
  },
});

/** Replica reads by where they were answered: `replica`, or the primary because it was lagging, down, unknown, or failed mid-read. */
new Gauge({
  name: 'huanxin_read_replica_reads_total',
  help: 'Reads meant for the read replica, by where they were answered (a counter, read at each scrape)',
  labelNames: ['answered_by'] as const,
  registers: [registry],
  collect() {
    for (const [k, v] of Object.entries(readReplicaStats.reads)) this.set({ answered_by: k }, v);
  },
});
