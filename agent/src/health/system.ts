// What the board can tell about itself (DESIGN §6): /proc (uptime, load, memory, default route),
// /sys (CPU temperature), `vcgencmd get_throttled` (Raspberry Pi under-voltage) and ModemManager's
// `mmcli` (4G signal) when they are installed. Every reader is optional: a field the board cannot
// tell is left out of the sample, never guessed. The file system root and the command runner are
// injectable, so tests feed a fake /proc and fake tools.
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { TelemetryMessage } from '@loa/shared';

export interface SystemProbe {
  /** Reads a file under the probe's root ('/' on a board); undefined when absent. */
  readFile(path: string): Promise<string | undefined>;
  /** Runs an installed tool; undefined when it is missing or fails. */
  run(command: string, args: string[]): Promise<string | undefined>;
}

export function systemProbe(root = '/', env: NodeJS.ProcessEnv = process.env): SystemProbe {
  const found = new Map<string, string | undefined>();
  const which = (command: string) => {
    if (!found.has(command)) found.set(command, lookup(command, env));
    return found.get(command);
  };
  return {
    readFile: (path) => readFile(join(root, path), 'utf8').catch(() => undefined),
    run(command, args) {
      const path = which(command);
      if (!path) return Promise.resolve(undefined);
      return new Promise((resolve) =>
        execFile(path, args, { timeout: 3000 }, (err, stdout) => resolve(err ? undefined : String(stdout))),
      );
    },
  };
}

function lookup(command: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return join(dir, command);
    } catch {
      // not here
    }
  }
  return undefined;
}

export type SystemSample = Pick<
  TelemetryMessage,
  | 'uptimeS'
  | 'load1'
  | 'memFreeBytes'
  | 'cpuTempC'
  | 'linkType'
  | 'signalPercent'
  | 'underVoltage'
  | 'underVoltageSinceBoot'
>;

export async function readSystem(probe: SystemProbe): Promise<SystemSample> {
  const [uptime, loadavg, meminfo, temp, route, wireless, throttled] = await Promise.all([
    probe.readFile('/proc/uptime'),
    probe.readFile('/proc/loadavg'),
    probe.readFile('/proc/meminfo'),
    probe.readFile('/sys/class/thermal/thermal_zone0/temp'),
    probe.readFile('/proc/net/route'),
    probe.readFile('/proc/net/wireless'),
    probe.run('vcgencmd', ['get_throttled']),
  ]);
  const sample: SystemSample = { uptimeS: Math.round(firstNumber(uptime) ?? 0) };
  const load = firstNumber(loadavg);
  if (load !== undefined) sample.load1 = Math.round(load * 100) / 100;
  const avail = /^MemAvailable:\s+(\d+) kB/m.exec(meminfo ?? '');
  if (avail) sample.memFreeBytes = Number(avail[1]) * 1024;
  const milli = firstNumber(temp);
  if (milli !== undefined) sample.cpuTempC = Math.round(milli / 100) / 10;
  // vcgencmd: bit 0 under-voltage now, bit 16 under-voltage has occurred since boot.
  const bits = /throttled=0x([0-9a-f]+)/i.exec(throttled ?? '');
  if (bits) {
    const value = parseInt(bits[1]!, 16);
    sample.underVoltage = (value & 0x1) !== 0;
    sample.underVoltageSinceBoot = (value & 0x10000) !== 0;
  }
  const iface = defaultInterface(route);
  if (iface) {
    sample.linkType = linkTypeOf(iface);
    if (sample.linkType === 'wifi') {
      const signal = wifiSignal(wireless, iface);
      if (signal !== undefined) sample.signalPercent = signal;
    } else if (sample.linkType === 'cellular') {
      const signal = modemSignal(await probe.run('mmcli', ['-m', 'any', '--output-keyvalue']));
      if (signal !== undefined) sample.signalPercent = signal;
    }
  }
  return sample;
}

function firstNumber(text: string | undefined): number | undefined {
  const n = Number(text?.trim().split(/\s+/)[0]);
  return text !== undefined && text.trim() !== '' && Number.isFinite(n) ? n : undefined;
}

/** The interface of the default route with the lowest metric, from /proc/net/route. */
export function defaultInterface(route: string | undefined): string | undefined {
  let best: { iface: string; metric: number } | undefined;
  for (const line of (route ?? '').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || f[1] !== '00000000' || f[7] !== '00000000') continue;
    const metric = Number(f[6]);
    if (!best || metric < best.metric) best = { iface: f[0]!, metric };
  }
  return best?.iface;
}

export function linkTypeOf(iface: string): NonNullable<TelemetryMessage['linkType']> {
  if (/^(wlan|wlp|wl)/.test(iface)) return 'wifi';
  if (/^(wwan|ppp|usb|rmnet|wwp)/.test(iface)) return 'cellular';
  if (/^(eth|en)/.test(iface)) return 'ethernet';
  return 'unknown';
}

/** Link quality of /proc/net/wireless (out of 70 on most drivers) as a percentage. */
function wifiSignal(wireless: string | undefined, iface: string): number | undefined {
  const line = (wireless ?? '').split('\n').find((l) => l.trim().startsWith(`${iface}:`));
  const quality = Number(line?.trim().split(/\s+/)[2]?.replace(/\.$/, ''));
  if (!line || !Number.isFinite(quality)) return undefined;
  return Math.max(0, Math.min(100, Math.round((quality / 70) * 100)));
}

/** `modem.generic.signal-quality.value : 75` from `mmcli --output-keyvalue`. */
function modemSignal(text: string | undefined): number | undefined {
  const m = /modem\.generic\.signal-quality\.value\s*:\s*(\d+)/.exec(text ?? '');
  return m ? Math.min(100, Number(m[1])) : undefined;
}
