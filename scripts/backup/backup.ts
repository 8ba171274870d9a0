// Hot backup and restore of a Loa server's data (DESIGN §2: SQLite + the media store + the keys).
//
//   npm run backup -- --data-dir ./data --out ./backups/2026-11-22     (while the server runs)
//   npm run backup -- restore --from ./backups/2026-11-22 --data-dir ./data-new
//
// The database is copied with SQLite's online backup API (better-sqlite3's db.backup), which gives a
// consistent snapshot while the server keeps writing. Media files are content-addressed and written
// through a temp name and a rename, so a file present is complete and never changes: copying them is
// safe at any moment, and a second backup into the same folder copies only what is new.
import Database from 'better-sqlite3';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const DB_FILE = 'loa.db';
/** What a backup holds besides the database: immutable media files and the server's keys. */
const TREES = ['media', 'keys'];
/** Work files that are never part of a backup. */
const SKIP = new Set(['tmp', 'uploads']);

function copyTree(from: string, to: string, counts: { files: number; bytes: number }) {
  if (!existsSync(from)) return;
  mkdirSync(to, { recursive: true, mode: 0o700 });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (SKIP.has(entry.name) || entry.name.endsWith('.tmp')) continue;
    const src = join(from, entry.name);
    const dst = join(to, entry.name);
    if (entry.isDirectory()) copyTree(src, dst, counts);
    else if (entry.isFile()) {
      const size = statSync(src).size;
      if (existsSync(dst) && statSync(dst).size === size) continue;
      copyFileSync(src, dst);
      chmodSync(dst, statSync(src).mode & 0o777);
      counts.files++;
      counts.bytes += size;
    }
  }
}

export async function backup(dataDir: string, out: string) {
  const source = join(dataDir, DB_FILE);
  if (!existsSync(source)) throw new Error(`no Loa database at ${source}: is --data-dir the server's DATA_DIR?`);
  mkdirSync(out, { recursive: true, mode: 0o700 });
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    await db.backup(join(out, DB_FILE));
  } finally {
    db.close();
  }
  const counts = { files: 0, bytes: 0 };
  for (const tree of TREES) copyTree(join(dataDir, tree), join(out, tree), counts);
  return counts;
}

export function restore(from: string, dataDir: string) {
  if (!existsSync(join(from, DB_FILE))) throw new Error(`${from} holds no backup (no ${DB_FILE})`);
  if (existsSync(join(dataDir, DB_FILE))) {
    throw new Error(`${dataDir} already holds a Loa database; restore into an empty folder, then point DATA_DIR at it`);
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // Check the copy before trusting it: a damaged backup is refused, not restored.
  const check = new Database(join(from, DB_FILE), { readonly: true });
  try {
    const result = check.pragma('integrity_check', { simple: true });
    if (result !== 'ok') throw new Error(`the backup database is damaged: ${String(result)}`);
  } finally {
    check.close();
  }
  copyFileSync(join(from, DB_FILE), join(dataDir, DB_FILE));
  const counts = { files: 1, bytes: statSync(join(dataDir, DB_FILE)).size };
  for (const tree of TREES) copyTree(join(from, tree), join(dataDir, tree), counts);
  return counts;
}

async function main(argv: string[]) {
  const restoring = argv[0] === 'restore';
  const { values } = parseArgs({
    args: restoring ? argv.slice(1) : argv,
    options: { 'data-dir': { type: 'string' }, out: { type: 'string' }, from: { type: 'string' } },
  });
  const dataDir = resolve(values['data-dir'] ?? process.env.DATA_DIR ?? './data');
  if (restoring) {
    if (!values.from) throw new Error('restore needs --from BACKUP_DIR');
    const c = restore(resolve(values.from), dataDir);
    console.log(
      `restored ${c.files} files (${(c.bytes / 1e6).toFixed(1)} MB) into ${dataDir}; start the server with DATA_DIR=${dataDir}`,
    );
  } else {
    const out = resolve(values.out ?? `./backups/loa-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    const c = await backup(dataDir, out);
    console.log(`backed up the database and ${c.files} new files (${(c.bytes / 1e6).toFixed(1)} MB) to ${out}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).catch((err: Error) => {
    console.error(`backup: ${err.message}`);
    process.exit(1);
  });
}
