// Live audio for tests and the latency bench: what a browser's WebCodecs encoder sends (20 ms mono
// Opus packets), made by the real ffmpeg from a lavfi source, and the live frames the server would
// make of them (an Ogg page each, HMAC-tagged with the session key).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { signLiveFrame } from '../protocol/live-frame.js';
import { oggPackets, oggPage } from '../protocol/ogg.js';

const run = promisify(execFile);

/** 20 ms Opus packets of a lavfi source (e.g. `sine=frequency=440:duration=2`), headers left out. */
export async function opusPackets(lavfi: string): Promise<Buffer[]> {
  const { stdout } = await run(
    'ffmpeg',
    [
      ...['-nostdin', '-loglevel', 'error', '-f', 'lavfi', '-i', lavfi, '-ac', '1', '-ar', '48000'],
      ...['-c:a', 'libopus', '-b:a', '32k', '-frame_duration', '20', '-application', 'voip', '-f', 'ogg', 'pipe:1'],
    ],
    { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
  );
  return oggPackets(stdout).slice(2);
}

/** Makes the server's live frames for one session, numbering pages and frames as it does. */
export function liveFramer(key: string, session: string, serial: number) {
  let seq = 0;
  let granule = 0n;
  return (packet: Buffer): Buffer => {
    granule += 960n;
    const page = oggPage({ serial, sequence: seq + 2, granule, packet });
    return signLiveFrame(key, session, seq++, page);
  };
}
