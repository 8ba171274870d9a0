// The Ogg pages the server makes for live audio must be ones ffmpeg accepts: the CRC is checked
// against pages ffmpeg itself wrote, and a page round-trips through the packet reader.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { oggCrc, oggPackets, oggPage, opusHeadPages } from './ogg.js';

function pages(stream: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < stream.length;) {
    const n = stream[at + 26]!;
    const lacing = stream.subarray(at + 27, at + 27 + n);
    const len = 27 + n + lacing.reduce((a, b) => a + b, 0);
    out.push(stream.subarray(at, at + len));
    at += len;
  }
  return out;
}

describe('Ogg pages', () => {
  const ffmpegOgg = execFileSync('ffmpeg', [
    ...['-nostdin', '-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1'],
    ...['-ac', '1', '-c:a', 'libopus', '-f', 'ogg', 'pipe:1'],
  ]);

  it('computes the CRC ffmpeg writes', () => {
    const all = pages(ffmpegOgg);
    expect(all.length).toBeGreaterThan(2);
    for (const page of all) {
      const copy = Buffer.from(page);
      const stored = copy.readUInt32LE(22);
      copy.writeUInt32LE(0, 22);
      expect(oggCrc(copy)).toBe(stored);
    }
  });

  it('writes packets of any size across lacing values, and reads them back', () => {
    const sizes = [0, 1, 254, 255, 256, 510, 1275, 4000];
    const stream = Buffer.concat([
      opusHeadPages(7),
      ...sizes.map((n, i) =>
        oggPage({ serial: 7, sequence: i + 2, granule: BigInt(i * 960), packet: Buffer.alloc(n, i) }),
      ),
    ]);
    const packets = oggPackets(stream);
    expect(packets[0]!.toString('latin1', 0, 8)).toBe('OpusHead');
    expect(packets[1]!.toString('latin1', 0, 8)).toBe('OpusTags');
    expect(packets.slice(2).map((p) => p.length)).toEqual(sizes);
    expect(oggPackets(ffmpegOgg).length).toBeGreaterThan(50);
  });

  it('refuses a stream that is not Ogg', () => {
    expect(() => oggPackets(Buffer.from('ID3 not an ogg stream at all, sorry'))).toThrow('no Ogg page at byte 0');
  });
});
