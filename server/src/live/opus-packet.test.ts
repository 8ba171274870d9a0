// What the live route lets through to every loudspeaker: real encoder packets pass with their
// duration; malformed framing (RFC 6716 §3.4) and stereo do not.
import { describe, expect, it } from 'vitest';
import { opusPackets } from '@loa/shared/testing/opus';
import { checkOpusPacket } from './opus-packet.js';

describe('checkOpusPacket', () => {
  it('passes what a real encoder makes, 20 ms each', async () => {
    const packets = await opusPackets('sine=frequency=300:duration=1');
    expect(packets.length).toBeGreaterThanOrEqual(50);
    for (const p of packets) expect(checkOpusPacket(p)).toEqual({ ok: true, samples: 960 });
  });

  it.each([
    ['empty', Buffer.alloc(0), 'empty packet'],
    ['stereo', Buffer.from([0x04, 1]), 'a stereo packet in a mono session'],
    ['over-long frame', Buffer.concat([Buffer.from([0x08]), Buffer.alloc(1276)]), 'frame longer than 1275 bytes'],
    ['code 1 odd', Buffer.from([0x09, 1, 2, 3]), 'two equal frames of odd total length'],
    ['code 2 overflow', Buffer.from([0x0a, 200, 1, 2]), 'frame lengths do not fit the packet'],
    ['code 3 no count', Buffer.from([0x0b]), 'code 3 packet without its frame count'],
    ['code 3 zero frames', Buffer.from([0x0b, 0x00]), 'no frames'],
    ['code 3 over 120 ms', Buffer.from([0x0b, 7, 1, 2, 3, 4, 5, 6, 7]), 'more than 120 ms in one packet'],
    ['code 3 padding', Buffer.from([0x0b, 0x41, 200, 1]), 'padding longer than the packet'],
    ['code 3 cbr uneven', Buffer.from([0x0b, 0x02, 1, 2, 3]), 'constant-rate frames do not divide the packet'],
  ])('refuses %s', (_name, packet, error) => {
    expect(checkOpusPacket(packet)).toEqual({ ok: false, error });
  });

  it('counts the frames of a code 3 packet', () => {
    // Three 20 ms SILK WB frames, constant rate, 2 bytes each.
    expect(checkOpusPacket(Buffer.from([0x4b, 0x03, 1, 2, 3, 4, 5, 6]))).toEqual({ ok: true, samples: 2880 });
  });
});
