// WAL checkpoints off the event loop (issue #10). SQLite copies its write-ahead log back into the
// database (a checkpoint, with its fsyncs) inside whichever commit crosses 1,000 pages of log: on
// the server's one connection, that is a commit on the event loop, and at a province's write rate
// (telemetry, events, 5,000 plans) such commits took 60–100 ms under load. The main connection now
// never checkpoints; a worker thread with its own connection runs a PASSIVE checkpoint every
// second, which waits for no one and blocks no writer or reader. If the thread cannot run, the
// main connection checkpoints as before.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Db } from './database.js';

const EVERY_MS = 1000;
/** The log file is cut back to this after a checkpoint (it is otherwise reused at its largest size). */
const LOG_LIMIT_BYTES = 64 * 1024 * 1024;
/** SQLite's own default, restored when the thread is gone. */
const AUTO_PAGES = 1000;

// Plain JavaScript, evaluated in the thread: it needs nothing of ours, only better-sqlite3.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
db.pragma('journal_size_limit = ' + workerData.logLimit);
const checkpoint = () => {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ type: 'checkpoint', log: r.log, checkpointed: r.checkpointed });
  } catch (err) {
    parentPort.postMessage({ type: 'error', message: err.message });
  }
};
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  /** The last checkpoint's pages: in the log, and copied back (for tests and diagnosis). */
  readonly last: { log: number; checkpointed: number } | undefined;
  /** Runs a last checkpoint, closes the thread's connection and hands checkpoints back to `db`. */
  stop(): Promise<void>;
}

export function startCheckpointer(
  db: Db,
  log: { warn(obj: object, msg: string): void },
  everyMs = EVERY_MS,
): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { file: db.name, driver, everyMs, logLimit: LOG_LIMIT_BYTES },
  });
  let last: Checkpointer['last'];
  let warned = false;
  db.pragma(`journal_size_limit = ${LOG_LIMIT_BYTES}`);
  db.pragma('wal_autocheckpoint = 0');
  const handBack = () => db.pragma(`wal_autocheckpoint = ${AUTO_PAGES}`);
  worker.on(
    'message',
    (m: { type: 'checkpoint'; log: number; checkpointed: number } | { type: 'error'; message: string }) => {
      if (m.type === 'checkpoint') last = { log: m.log, checkpointed: m.checkpointed };
      else if (!warned) {
        warned = true; // once: a database that cannot checkpoint says so every second otherwise
        log.warn({ err: m.message }, 'database: a checkpoint failed; it is tried again every second');
      }
    },
  );
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  let stopping = false;
  worker.once('error', (err) => {
    log.warn({ err }, 'database: the checkpoint thread stopped; the main connection checkpoints again');
  });
  void exited.then(() => {
    if (!stopping && db.open) handBack();
  });
  return {
    get last() {
      return last;
    },
    async stop() {
      stopping = true;
      worker.postMessage('stop');
      await exited;
      if (db.open) handBack();
    },
  };
}
