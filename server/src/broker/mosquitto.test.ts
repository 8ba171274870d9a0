// The Mosquitto export's formats, checked against Mosquitto's own tool.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UNIT_ACL } from './acl.js';
import { mosquittoAcl, mosquittoConf, mosquittoPasswordHash, verifyMosquittoHash } from './mosquitto.js';

describe('the Mosquitto password hash', () => {
  it('is exactly what mosquitto_passwd writes for the same salt', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'loa-pw-')), 'passwd');
    execFileSync('mosquitto_passwd', ['-c', '-b', file, 'thon-a', 'Bí mật của thôn A ✓']);
    const [user, theirs] = readFileSync(file, 'utf8').trim().split(/:(.*)/s);
    expect(user).toBe('thon-a');
    const [, kind, iterations, salt] = theirs!.split('$');
    expect(kind).toBe('7');
    const ours = mosquittoPasswordHash('Bí mật của thôn A ✓', Buffer.from(salt!, 'base64'), Number(iterations));
    expect(ours).toBe(theirs);
    expect(verifyMosquittoHash('Bí mật của thôn A ✓', theirs!)).toBe(true);
    expect(verifyMosquittoHash('Bí mật của thôn B', theirs!)).toBe(false);
    expect(verifyMosquittoHash('x', 'garbage')).toBe(false);
  });
});

describe('the exported ACL and configuration', () => {
  it('states every rule of acl.ts, and nothing more for units', () => {
    const lines = mosquittoAcl('loa-server').split('\n');
    for (const p of UNIT_ACL.publish) expect(lines).toContain(`pattern write loa/v1/${p}`);
    for (const p of UNIT_ACL.subscribe) expect(lines).toContain(`pattern read loa/v1/${p}`);
    expect(lines.filter((l) => l.startsWith('pattern'))).toHaveLength(
      UNIT_ACL.publish.length + UNIT_ACL.subscribe.length,
    );
    expect(lines.filter((l) => l.startsWith('user'))).toEqual(['user loa-server']);
  });

  it('refuses anonymous clients and ties each client id to its user, on every listener', () => {
    const conf = mosquittoConf({
      dir: '/etc/loa',
      port: 1883,
      host: '127.0.0.1',
      tls: { port: 8883, certFile: '/c.pem', keyFile: '/k.pem' },
    }).split('\n');
    expect(conf).toContain('allow_anonymous false');
    const listeners = conf.flatMap((l, i) => (l.startsWith('listener') ? [i] : []));
    expect(listeners).toHaveLength(2);
    // Listener options before any `listener` line would make Mosquitto open a default one on 1883.
    expect(conf.findIndex((l) => l.startsWith('use_username_as_clientid'))).toBeGreaterThan(listeners[0]!);
    for (const i of listeners) expect(conf[i + 1]).toBe('use_username_as_clientid true');
    expect(conf.slice(listeners[1]!)).toEqual(expect.arrayContaining(['certfile /c.pem', 'keyfile /k.pem']));
  });
});
