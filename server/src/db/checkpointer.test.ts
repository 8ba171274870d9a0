// WAL checkpoints in their own thread (issue #10): the main connection's commits never copy the
// log back themselves; the thread does, and if it cannot run, the main connection does again.
import { mkdtempSync, renameSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from './database.js';
import { startCheckpointer } from './checkpointer.js';
import { waitFor } from '../testing/wait.js';

const silent = () => {
  const warnings: string[] = [];
  return { warnings, warn: (_: object, msg: string) => void warnings.push(msg) };
};

describe('the checkpoint thread', () => {
  it('copies the log back while the main connection only writes, and hands checkpoints back at stop', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'loa-ckpt-')), 'loa.db');
    const db = openDatabase(file);
    const log = silent();
    const checkpointer = startCheckpointer(db, log, 50);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);

    db.exec('CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT)');
    const insert = db.prepare('INSERT INTO filler (body) VALUES (?)');
    const many = db.transaction(() => {
      for (let i = 0; i < 100; i++) insert.run('x'.repeat(2000));
    });
    for (let k = 0; k < 30; k++) many(); // ~1,500 pages: past the 1,000 where a commit would checkpoint
    const done = await waitFor('a checkpoint of the whole log', async () => {
      const last = checkpointer.last;
      return last && last.log >= 1000 && last.checkpointed === last.log ? last : undefined;
    });
    expect(done.checkpointed).toBeGreaterThanOrEqual(1000);
    // What was copied back is in the database file itself, not only in the log.
    expect(statSync(file).size).toBeGreaterThan(5_000_000);
    expect(db.prepare('SELECT COUNT(*) FROM filler').pluck().get()).toBe(3000);

    await checkpointer.stop();
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    expect(log.warnings).toEqual([]);
    db.close();
  });

  it('says so and lets the main connection checkpoint when the thread cannot open the database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loa-ckpt-'));
    const db = openDatabase(join(dir, 'loa.db'));
    renameSync(join(dir, 'loa.db'), join(dir, 'moved.db')); // the thread's open finds no file
    const log = silent();
    const checkpointer = startCheckpointer(db, log, 50);
    await waitFor('checkpoints handed back', async () =>
      db.pragma('wal_autocheckpoint', { simple: true }) === 1000 ? true : undefined,
    );
    expect(log.warnings.join('\n')).toMatch(/checkpoint thread stopped/);
    await checkpointer.stop();
    db.close();
  });
});
