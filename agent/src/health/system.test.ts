import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultInterface, linkTypeOf, readSystem, systemProbe } from './system.js';

let root: string;
let bin: string;

async function put(path: string, text: string) {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), text);
}

async function tool(name: string, script: string) {
  await mkdir(bin, { recursive: true });
  await writeFile(join(bin, name), `#!/bin/sh\n${script}\n`);
  await chmod(join(bin, name), 0o755);
}

const ROUTE_HEAD = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n';

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'loa-sys-'));
  bin = join(root, 'bin');
  await put('/proc/uptime', '12345.67 40000.00\n');
  await put('/proc/loadavg', '0.42 0.30 0.20 1/123 4567\n');
  await put('/proc/meminfo', 'MemTotal:  948000 kB\nMemFree:  100000 kB\nMemAvailable:  512000 kB\n');
  await put('/sys/class/thermal/thermal_zone0/temp', '48312\n');
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('readSystem', () => {
  it('reads a Raspberry Pi on Wi-Fi: uptime, load, memory, temperature, signal, under-voltage', async () => {
    await put(
      '/proc/net/route',
      `${ROUTE_HEAD}wlan0\t00000000\t0100A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\neth0\t0000A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n`,
    );
    await put(
      '/proc/net/wireless',
      'Inter-| sta-|   Quality        |   Discarded packets\n face | tus | link level noise |  nwid  crypt   frag  retry   misc | beacon | 22\n  wlan0: 0000   49.  -61.  -256        0      0      0      0     12        0\n',
    );
    await tool('vcgencmd', 'echo "throttled=0x50005"');
    const sample = await readSystem(systemProbe(root, { PATH: bin }));
    expect(sample).toEqual({
      uptimeS: 12346,
      load1: 0.42,
      memFreeBytes: 512000 * 1024,
      cpuTempC: 48.3,
      underVoltage: true,
      underVoltageSinceBoot: true,
      linkType: 'wifi',
      signalPercent: 70,
    });
  });

  it('reads a board on 4G through ModemManager', async () => {
    await put('/proc/net/route', `${ROUTE_HEAD}wwan0\t00000000\t00000000\t0001\t0\t0\t700\t00000000\t0\t0\t0\n`);
    await tool(
      'mmcli',
      'echo "modem.generic.signal-quality.value  : 75"; echo "modem.generic.signal-quality.recent : yes"',
    );
    await tool('vcgencmd', 'echo "throttled=0x0"');
    const sample = await readSystem(systemProbe(root, { PATH: bin }));
    expect(sample).toMatchObject({
      linkType: 'cellular',
      signalPercent: 75,
      underVoltage: false,
      underVoltageSinceBoot: false,
    });
  });

  it('leaves out what the board cannot tell, rather than guessing', async () => {
    await rm(join(root, 'sys'), { recursive: true });
    const sample = await readSystem(systemProbe(root, { PATH: bin }));
    expect(sample).toEqual({ uptimeS: 12346, load1: 0.42, memFreeBytes: 512000 * 1024 });
  });

  it('knows the default route and the kind of link from the interface name', () => {
    expect(defaultInterface(`${ROUTE_HEAD}eth0\t00000000\t0101A8C0\t0003\t0\t0\t202\t00000000\t0\t0\t0\n`)).toBe(
      'eth0',
    );
    expect(
      defaultInterface(`${ROUTE_HEAD}eth0\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n`),
    ).toBeUndefined();
    expect(['eth0', 'end0', 'enx00e04c', 'wlan0', 'wwan0', 'ppp0', 'tun0'].map(linkTypeOf)).toEqual([
      'ethernet',
      'ethernet',
      'ethernet',
      'wifi',
      'cellular',
      'cellular',
      'unknown',
    ]);
  });
});
