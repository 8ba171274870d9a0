// A stand-in for ffmpeg writing to a sound card (the card is the hardware we fake): a Node script
// that checks it was called the way the ALSA writer calls ffmpeg, reads the VOC stream on its
// stdin, "opens the card" after the second whole block as ffmpeg 5.1 does (printing ffmpeg's
// "Output #0, alsa" line), and logs one JSON line per event with the wall-clock time: `spawn`
// (with its arguments), `open`, `sound` (the first block holding a non-zero sample), `eof` (with
// the samples received). `busy` makes it fail to open the card, as a taken `hw:` device does.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface FakeAlsaEvent {
  pid: number;
  at: number;
  event: 'spawn' | 'open' | 'sound' | 'eof' | 'refused';
  args?: string[];
  samples?: number;
}

export interface FakeAlsaFfmpeg {
  path: string;
  events(): Promise<FakeAlsaEvent[]>;
}

export async function fakeAlsaFfmpeg(dir: string, opts: { busy?: boolean } = {}): Promise<FakeAlsaFfmpeg> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'ffmpeg');
  const logFile = join(dir, 'ffmpeg-alsa.jsonl');
  await writeFile(
    path,
    `#!${process.execPath}
const { appendFileSync } = require('node:fs');
const args = process.argv.slice(2);
const log = (event, extra = {}) =>
  appendFileSync(${JSON.stringify(logFile)}, JSON.stringify({ pid: process.pid, at: Date.now(), event, ...extra }) + '\\n');
log('spawn', { args });
const at = (seq) => args.findIndex((_, i) => seq.every((s, j) => args[i + j] === s));
const device = args.at(-1);
const ok =
  args.includes('-nostdin') && at(['-loglevel', 'info']) >= 0 && at(['-f', 'voc', '-i', 'pipe:0']) >= 0 &&
  at(['-f', 'alsa']) === args.length - 3;
if (!ok) {
  process.stderr.write('fake ffmpeg: unexpected arguments: ' + args.join(' ') + '\\n');
  process.exit(1);
}
let buf = Buffer.alloc(0);
let header = false;
let blocks = 0;
let open = false;
let sounded = false;
let samples = 0;
process.stdin.on('data', (d) => {
  buf = Buffer.concat([buf, d]);
  if (!header) {
    if (buf.length < 26) return;
    if (buf.toString('latin1', 0, 20) !== 'Creative Voice File\\x1a') {
      process.stderr.write('fake ffmpeg: not a VOC stream\\n');
      process.exit(1);
    }
    header = true;
    buf = buf.subarray(26);
  }
  while (buf.length >= 4 && buf.length >= 4 + buf.readUIntLE(1, 3)) {
    const size = buf.readUIntLE(1, 3);
    const pcm = buf.subarray(16, 4 + size);
    buf = buf.subarray(4 + size);
    if (++blocks === 2) {
      if (${opts.busy ? 'true' : 'false'}) {
        log('refused');
        process.stderr.write('[alsa @ 0x1] cannot open audio device ' + device + ' (Device or resource busy)\\n');
        process.stderr.write('Could not write header for output file #0 (incorrect codec parameters ?): I/O error\\n');
        process.exit(1);
      }
      open = true;
      log('open');
      process.stderr.write("Output #0, alsa, to '" + device + "':\\n  Metadata:\\n");
    }
    if (!open) continue;
    samples += pcm.length / 2;
    if (!sounded) for (let i = 0; i + 1 < pcm.length; i += 2) if (pcm.readInt16LE(i) !== 0) { sounded = true; log('sound'); break; }
  }
});
process.stdin.on('end', () => {
  log('eof', { samples });
  process.exit(0);
});
`,
  );
  await chmod(path, 0o755);
  return {
    path,
    events: async () =>
      (await readFile(logFile, 'utf8').catch(() => ''))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as FakeAlsaEvent),
  };
}
