import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parentPort, workerData } from 'node:worker_threads';
import { checkBatch } from './export-verifier';
import type { RangeMessage, RangeTask } from './export-verifier-file';
import { namedIndex } from './export-verifier-file';

/**
 * One thread of verifyExportFile: checks the lines of one byte range of an export, in batches, assuming the index its
 * first entry names (the thread that folds knows whether that is right). Line numbers are the range's own, from 1.
 */
async function checkRange(task: RangeTask, send: (m: RangeMessage, transfer?: ArrayBuffer[]) => void): Promise<void> {
  const lines = createInterface({ input: createReadStream(task.path, { start: task.start, end: task.end - 1 }), crlfDelay: Infinity });
  let lineNo = 0;
  let started = false;
  let firstIndex = 0;
  let batch: string[] = [];
  let batchLine = 1;
  const flush = (): boolean => {
    const check = checkBatch(batch, firstIndex, batchLine);
    firstIndex += check.count;
    batch = [];
    send({ kind: 'batch', check }, [check.leaves.buffer as ArrayBuffer]);
    return check.broken;
  };
  for await (const raw of lines) {
    lineNo++;
    if (!started && raw.trim() !== '') {
      started = true;
      const assumed = namedIndex(raw);
      firstIndex = assumed ?? 0;
      send({ kind: 'start', line: raw, lineNo, assumed });
    }
    if (batch.length === 0) batchLine = lineNo;
    batch.push(raw);
    if (batch.length >= task.batchSize && flush()) {
      lines.close();
      send({ kind: 'end', lines: lineNo });
      return;
    }
  }
  if (!started) send({ kind: 'start', line: null, lineNo: 0, assumed: null });
  if (batch.length > 0) flush();
  send({ kind: 'end', lines: lineNo });
}

if (parentPort) {
  const port = parentPort;
  checkRange(workerData as RangeTask, (m, transfer) => port.postMessage(m, transfer)).catch((err: unknown) => {
    port.postMessage({ kind: 'error', message: err instanceof Error ? err.message : String(err) } satisfies RangeMessage);
  });
}
