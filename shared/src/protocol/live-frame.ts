// Live frames on `live/{session}` (DESIGN §3, §7): `seq` (u32 big-endian) + Ogg/Opus bytes, then an
// HMAC-SHA256 tag over both made with the session's key. The key (32 random bytes) travels only
// inside the signed `live-start` command to the units of that session, so a stolen broker password
// cannot inject audio into a live broadcast, and a frame replayed from earlier in the session (or
// from another session) is dropped. Kept out of the package's main entry because it needs
// node:crypto (the web app never handles frames).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const LIVE_KEY_BYTES = 32;
export const LIVE_TAG_BYTES = 32;
const SEQ_BYTES = 4;
export const MAX_LIVE_SEQ = 0xffff_ffff;

/** A fresh per-session key, base64 as it goes into the live-start command's args. */
export function newLiveSessionKey(): string {
  return randomBytes(LIVE_KEY_BYTES).toString('base64');
}

function keyBytes(key: string | Uint8Array): Buffer {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'base64') : Buffer.from(key);
  if (bytes.length !== LIVE_KEY_BYTES) throw new RangeError(`a live session key is ${LIVE_KEY_BYTES} bytes`);
  return bytes;
}

/** The MAC covers the session id too: a frame of one session is worthless in another. */
function tagOf(key: Buffer, session: string, head: Uint8Array): Buffer {
  return createHmac('sha256', key).update(`loa-live-v1\0${session}\0`, 'utf8').update(head).digest();
}

/** One frame on the wire: seq (u32 BE) + audio + tag. */
export function signLiveFrame(key: string | Uint8Array, session: string, seq: number, audio: Uint8Array): Buffer {
  if (!Number.isInteger(seq) || seq < 0 || seq > MAX_LIVE_SEQ) throw new RangeError('seq must be a u32');
  const head = Buffer.alloc(SEQ_BYTES + audio.length);
  head.writeUInt32BE(seq, 0);
  head.set(audio, SEQ_BYTES);
  return Buffer.concat([head, tagOf(keyBytes(key), session, head)]);
}

export type OpenedFrame = { ok: true; seq: number; audio: Buffer } | { ok: false; error: string };

/** Checks one frame's tag (in constant time) and takes it apart; never throws on bad input. */
export function openLiveFrame(key: string | Uint8Array, session: string, frame: Uint8Array): OpenedFrame {
  if (frame.length < SEQ_BYTES + LIVE_TAG_BYTES) return { ok: false, error: 'frame too short' };
  const buf = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  const head = buf.subarray(0, buf.length - LIVE_TAG_BYTES);
  const tag = buf.subarray(buf.length - LIVE_TAG_BYTES);
  if (!timingSafeEqual(tag, tagOf(keyBytes(key), session, head))) return { ok: false, error: 'bad tag' };
  return { ok: true, seq: head.readUInt32BE(0), audio: Buffer.from(head.subarray(SEQ_BYTES)) };
}

/**
 * The receiving side of one session: accepts only authentic frames with a sequence number above
 * the last one accepted, so a replayed or reordered-late frame never plays twice.
 */
export function liveFrameReceiver(key: string | Uint8Array, session: string) {
  const k = keyBytes(key);
  let last = -1;
  return {
    accept(frame: Uint8Array): OpenedFrame {
      const opened = openLiveFrame(k, session, frame);
      if (!opened.ok) return opened;
      if (opened.seq <= last) return { ok: false, error: `replayed frame ${opened.seq} (last ${last})` };
      last = opened.seq;
      return opened;
    },
    get lastSeq() {
      return last;
    },
  };
}
