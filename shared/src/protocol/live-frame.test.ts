import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { liveFrameReceiver, newLiveSessionKey, openLiveFrame, signLiveFrame } from './live-frame.js';

const audio = Buffer.from('OggS fake opus page bytes');

describe('live frames (DESIGN §3: seq u32 BE + bytes, HMAC-tagged with the session key)', () => {
  it('lays out seq big-endian, then the audio, then a 32-byte tag', () => {
    const key = newLiveSessionKey();
    const frame = signLiveFrame(key, 's1', 0x01020304, audio);
    expect([...frame.subarray(0, 4)]).toEqual([1, 2, 3, 4]);
    expect(frame.subarray(4, 4 + audio.length).equals(audio)).toBe(true);
    expect(frame.length).toBe(4 + audio.length + 32);
    expect(openLiveFrame(key, 's1', frame)).toEqual({ ok: true, seq: 0x01020304, audio });
  });

  it('refuses a frame with any bit changed, another key, another session, or too short', () => {
    const key = newLiveSessionKey();
    const frame = signLiveFrame(key, 's1', 7, audio);
    for (let i = 0; i < frame.length; i++) {
      const bad = Buffer.from(frame);
      bad[i]! ^= 0x01;
      expect(openLiveFrame(key, 's1', bad), `byte ${i}`).toEqual({ ok: false, error: 'bad tag' });
    }
    expect(openLiveFrame(newLiveSessionKey(), 's1', frame)).toEqual({ ok: false, error: 'bad tag' });
    expect(openLiveFrame(key, 's2', frame)).toEqual({ ok: false, error: 'bad tag' });
    expect(openLiveFrame(key, 's1', frame.subarray(0, 35))).toEqual({ ok: false, error: 'frame too short' });
  });

  it('drops replayed and late frames, in order of sequence', () => {
    const key = newLiveSessionKey();
    const rx = liveFrameReceiver(key, 's1');
    expect(rx.accept(signLiveFrame(key, 's1', 1, audio)).ok).toBe(true);
    expect(rx.accept(signLiveFrame(key, 's1', 2, audio)).ok).toBe(true);
    expect(rx.accept(signLiveFrame(key, 's1', 2, audio))).toEqual({ ok: false, error: 'replayed frame 2 (last 2)' });
    expect(rx.accept(signLiveFrame(key, 's1', 1, audio)).ok).toBe(false);
    expect(rx.accept(signLiveFrame(key, 's1', 5, audio)).ok).toBe(true);
    expect(rx.lastSeq).toBe(5);
  });

  it('refuses bad keys and sequence numbers at signing', () => {
    expect(() => signLiveFrame(Buffer.alloc(16), 's', 0, audio)).toThrow(/32 bytes/);
    expect(() => signLiveFrame(newLiveSessionKey(), 's', -1, audio)).toThrow(/u32/);
    expect(() => signLiveFrame(newLiveSessionKey(), 's', 2 ** 32, audio)).toThrow(/u32/);
  });

  it('opens what it signs, for any seq and bytes', () => {
    const key = newLiveSessionKey();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.uint8Array({ maxLength: 2000 }), (seq, bytes) => {
        const opened = openLiveFrame(key, 'p', signLiveFrame(key, 'p', seq, bytes));
        return opened.ok && opened.seq === seq && opened.audio.equals(Buffer.from(bytes));
      }),
    );
  });
});
