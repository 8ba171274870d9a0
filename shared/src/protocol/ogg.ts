// Ogg pages for live audio (issue #8, RFC 3533 and RFC 7845). The browser sends bare Opus packets;
// the server wraps each in an Ogg page so that the agent's ffmpeg reads an ordinary Ogg/Opus stream,
// and a page lost on the way costs ffmpeg one page, not the stream (every page carries its own CRC).
// The two header pages (OpusHead, OpusTags) travel inside the signed live-start command. Kept out of
// the package's main entry with live-frame.ts: only the server, the agent and the tools use it.

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let j = 0; j < 8; j++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

/** Ogg's CRC-32: polynomial 0x04c11db7, not reflected, initial value 0, no final xor. */
export function oggCrc(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ b) & 0xff]!) >>> 0;
  return crc;
}

export const OGG_BOS = 0x02;
export const OGG_EOS = 0x04;
/** One page holds at most 255 lacing values: a packet up to 255 × 255 − 1 bytes. */
const MAX_PACKET = 255 * 255 - 1;

/** One page holding exactly one whole packet. */
export function oggPage(opts: {
  serial: number;
  sequence: number;
  granule: bigint;
  packet: Uint8Array;
  flags?: number;
}): Buffer {
  const { packet } = opts;
  if (packet.length > MAX_PACKET) throw new RangeError(`an Ogg page holds at most ${MAX_PACKET} bytes`);
  const lacing: number[] = [];
  for (let left = packet.length; ; left -= 255) {
    lacing.push(Math.min(left, 255));
    if (left < 255) break;
  }
  const page = Buffer.alloc(27 + lacing.length + packet.length);
  page.write('OggS', 0, 'latin1');
  page[4] = 0;
  page[5] = opts.flags ?? 0;
  page.writeBigInt64LE(opts.granule, 6);
  page.writeUInt32LE(opts.serial >>> 0, 14);
  page.writeUInt32LE(opts.sequence >>> 0, 18);
  page[26] = lacing.length;
  page.set(lacing, 27);
  page.set(packet, 27 + lacing.length);
  page.writeUInt32LE(oggCrc(page), 22);
  return page;
}

/** Opus's usual pre-skip at 48 kHz (libopus's lookahead). */
export const OPUS_PRE_SKIP = 312;

/** The OpusHead and OpusTags pages that open a mono 48 kHz stream (RFC 7845 §5). */
export function opusHeadPages(serial: number): Buffer {
  const head = Buffer.alloc(19);
  head.write('OpusHead', 0, 'latin1');
  head[8] = 1; // version
  head[9] = 1; // channels
  head.writeUInt16LE(OPUS_PRE_SKIP, 10);
  head.writeUInt32LE(48_000, 12);
  head.writeInt16LE(0, 16); // output gain
  head[18] = 0; // mapping family: mono/stereo
  const vendor = Buffer.from('loa', 'utf8');
  const tags = Buffer.alloc(8 + 4 + vendor.length + 4);
  tags.write('OpusTags', 0, 'latin1');
  tags.writeUInt32LE(vendor.length, 8);
  tags.set(vendor, 12);
  tags.writeUInt32LE(0, 12 + vendor.length);
  return Buffer.concat([
    oggPage({ serial, sequence: 0, granule: 0n, packet: head, flags: OGG_BOS }),
    oggPage({ serial, sequence: 1, granule: 0n, packet: tags }),
  ]);
}

/**
 * The packets of an Ogg stream, in order (headers included), for tools and tests that turn an
 * ffmpeg-encoded file into the packets a browser would send. Throws on a damaged page.
 */
export function oggPackets(stream: Uint8Array): Buffer[] {
  const buf = Buffer.from(stream.buffer, stream.byteOffset, stream.byteLength);
  const packets: Buffer[] = [];
  let partial: Buffer[] = [];
  let at = 0;
  while (at < buf.length) {
    if (buf.toString('latin1', at, at + 4) !== 'OggS') throw new Error(`no Ogg page at byte ${at}`);
    const segments = buf[at + 26]!;
    const lacing = buf.subarray(at + 27, at + 27 + segments);
    let body = at + 27 + segments;
    for (const len of lacing) {
      partial.push(buf.subarray(body, body + len));
      body += len;
      if (len < 255) {
        packets.push(Buffer.concat(partial));
        partial = [];
      }
    }
    at = body;
  }
  return packets;
}
