// `npm run broker:export`: what it writes from a data dir, and how it refuses bad arguments.
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/src/db/database.js';
import { verifyMosquittoHash } from '../../server/src/broker/mosquitto.js';
import { revokeUnitSecret, storeUnitSecret } from '../../server/src/units/units.secrets.js';
import { main } from './export.js';

const PASSWORD = 'the-server-broker-password';

function dataDir() {
  const dir = mkdtempSync(join(tmpdir(), 'loa-export-'));
  const db = openDatabase(join(dir, 'loa.db'));
  db.prepare(
    `INSERT INTO communes (id, name, time_zone, windows, created_at) VALUES ('x', 'X', 'Asia/Ho_Chi_Minh', '[]', 0)`,
  ).run();
  const unit = db.prepare(
    `INSERT INTO units (id, commune_id, name, secret_hash, created_at) VALUES (?, 'x', ?, '', 0)`,
  );
  for (const id of ['thon-a', 'thon-b', 'thon-cu']) unit.run(id, id);
  storeUnitSecret(db, 'thon-a', 'secret-a', false);
  storeUnitSecret(db, 'thon-b', 'secret-b', false);
  revokeUnitSecret(db, 'thon-b');
  // thon-cu: a unit of before the export support, with no Mosquitto hash.
  db.close();
  return dir;
}

describe('broker:export', () => {
  it('writes the server and every enrolled unit, leaves out revoked ones, and names the missing', () => {
    const dir = dataDir();
    const out = join(dir, 'mq');
    const r = main(['--data-dir', dir, '--out', out, '--port', '18830'], { MQTT_PASSWORD: PASSWORD });
    expect(r).toMatchObject({ units: 1, missing: ['thon-cu'], revoked: ['thon-b'] });
    const passwd = readFileSync(join(out, 'passwd'), 'utf8').trim().split('\n');
    expect(passwd.map((l) => l.split(':')[0])).toEqual(['loa-server', 'thon-a']);
    expect(verifyMosquittoHash(PASSWORD, passwd[0]!.split(':')[1]!)).toBe(true);
    expect(verifyMosquittoHash('secret-a', passwd[1]!.split(':')[1]!)).toBe(true);
    expect(statSync(join(out, 'passwd')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(out, 'mosquitto.conf'), 'utf8')).toContain(`password_file ${join(out, 'passwd')}`);
    expect(readFileSync(join(out, 'mosquitto.conf'), 'utf8')).toContain('listener 18830');
    // Queues sized for a province (issue #10): Mosquitto's default of 1,000 dropped the server's messages.
    expect(readFileSync(join(out, 'mosquitto.conf'), 'utf8')).toMatch(/^max_queued_messages 100000$/m);
  });

  it('refuses to run without a data dir, an output dir, or a long enough server password', () => {
    const dir = dataDir();
    expect(() => main(['--out', dir], { MQTT_PASSWORD: PASSWORD })).toThrow(/--data-dir is required/);
    expect(() => main(['--data-dir', dir], { MQTT_PASSWORD: PASSWORD })).toThrow(/--out is required/);
    expect(() => main(['--data-dir', dir, '--out', dir], {})).toThrow(/MQTT_PASSWORD is required/);
    expect(() => main(['--data-dir', dir, '--out', dir], { MQTT_PASSWORD: 'short' })).toThrow(/16 characters/);
    expect(() => main(['--data-dir', dir, '--out', dir, '--port', 'x'], { MQTT_PASSWORD: PASSWORD })).toThrow(/--port/);
  });
});
