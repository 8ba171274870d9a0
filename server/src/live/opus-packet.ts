// Checks one Opus packet from the browser before it goes to every loudspeaker of a session
// (issue #8: a garbage frame is dropped, the session survives). RFC 6716 §3.4's rules R1–R7 on the
// packet's framing, plus what this session agreed: mono. A packet that passes is well formed, not
// necessarily sensible audio; the agents' decoders cope with that, and the HMAC (DESIGN §7) means
// only the person who started the session can have sent it.

/** RFC 6716: no frame is longer than this. */
const MAX_FRAME_BYTES = 1275;
/** A packet holds at most 120 ms of audio. */
const MAX_PACKET_SAMPLES = 5760;

/** Samples (at 48 kHz) of one frame for each of the 32 TOC configurations (RFC 6716 Table 2). */
const FRAME_SAMPLES = [
  // SILK NB, MB, WB: 10, 20, 40, 60 ms
  480, 960, 1920, 2880, 480, 960, 1920, 2880, 480, 960, 1920, 2880,
  // Hybrid SWB, FB: 10, 20 ms
  480, 960, 480, 960,
  // CELT NB, WB, SWB, FB: 2.5, 5, 10, 20 ms
  120, 240, 480, 960, 120, 240, 480, 960, 120, 240, 480, 960, 120, 240, 480, 960,
];

export type OpusCheck = { ok: true; samples: number } | { ok: false; error: string };

/** Reads a frame length (RFC 6716 §3.2.1): one byte, or two for 252…1275. */
function frameLength(p: Uint8Array, at: number): { len: number; size: number } | undefined {
  if (at >= p.length) return undefined;
  const b0 = p[at]!;
  if (b0 < 252) return { len: b0, size: 1 };
  if (at + 1 >= p.length) return undefined;
  return { len: b0 + 4 * p[at + 1]!, size: 2 };
}

export function checkOpusPacket(p: Uint8Array): OpusCheck {
  if (p.length < 1) return { ok: false, error: 'empty packet' };
  const toc = p[0]!;
  if (toc & 0x04) return { ok: false, error: 'a stereo packet in a mono session' };
  const perFrame = FRAME_SAMPLES[toc >> 3]!;
  const code = toc & 0x03;
  const rest = p.length - 1;
  let frames: number;
  if (code === 0) {
    if (rest > MAX_FRAME_BYTES) return { ok: false, error: 'frame longer than 1275 bytes' };
    frames = 1;
  } else if (code === 1) {
    if (rest % 2 !== 0) return { ok: false, error: 'two equal frames of odd total length' };
    if (rest / 2 > MAX_FRAME_BYTES) return { ok: false, error: 'frame longer than 1275 bytes' };
    frames = 2;
  } else if (code === 2) {
    const first = frameLength(p, 1);
    if (!first) return { ok: false, error: 'truncated frame length' };
    const second = rest - first.size - first.len;
    if (first.len > MAX_FRAME_BYTES || second < 0 || second > MAX_FRAME_BYTES)
      return { ok: false, error: 'frame lengths do not fit the packet' };
    frames = 2;
  } else {
    if (p.length < 2) return { ok: false, error: 'code 3 packet without its frame count' };
    const fc = p[1]!;
    frames = fc & 0x3f;
    const vbr = (fc & 0x80) !== 0;
    const padded = (fc & 0x40) !== 0;
    if (frames === 0) return { ok: false, error: 'no frames' };
    if (frames * perFrame > MAX_PACKET_SAMPLES) return { ok: false, error: 'more than 120 ms in one packet' };
    let at = 2;
    let padding = 0;
    if (padded) {
      for (;;) {
        if (at >= p.length) return { ok: false, error: 'truncated padding length' };
        const b = p[at++]!;
        padding += b === 255 ? 254 : b;
        if (b !== 255) break;
      }
    }
    let body = p.length - at - padding;
    if (body < 0) return { ok: false, error: 'padding longer than the packet' };
    if (vbr) {
      for (let i = 0; i < frames - 1; i++) {
        const f = frameLength(p, at);
        if (!f) return { ok: false, error: 'truncated frame length' };
        at += f.size;
        body -= f.size + f.len;
        if (f.len > MAX_FRAME_BYTES || body < 0) return { ok: false, error: 'frame lengths do not fit the packet' };
      }
      if (body > MAX_FRAME_BYTES) return { ok: false, error: 'frame longer than 1275 bytes' };
    } else if (body % frames !== 0 || body / frames > MAX_FRAME_BYTES) {
      return { ok: false, error: 'constant-rate frames do not divide the packet' };
    }
  }
  return { ok: true, samples: frames * perFrame };
}
