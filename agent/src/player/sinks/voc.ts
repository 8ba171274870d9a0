// Creative Voice (VOC) framing of the agent's PCM, for the ALSA writer's stdin. ffmpeg reads raw
// s16le in fixed packets (2048 bytes in FFmpeg 5, 8192 in FFmpeg 7): the end of an item, shorter
// than a packet, would wait inside ffmpeg until the next item's audio came to fill it. ffmpeg reads
// a VOC block as soon as it is whole, so every write reaches the card at once.
import { BYTES_PER_SAMPLE, SAMPLE_RATE } from '../pcm.js';

export const VOC_HEADER_BYTES = 26;
/** Type 9 ("new voice data"): its own rate, bits and channels, then the samples. */
const BLOCK_HEAD_BYTES = 16;
/** The block length is a 24-bit field. */
const MAX_BLOCK_PCM = 0xffffff - (BLOCK_HEAD_BYTES - 4);
/** VOC codec 4: signed 16-bit little-endian PCM. */
const CODEC_S16LE = 4;

export function vocHeader(): Buffer {
  const h = Buffer.alloc(VOC_HEADER_BYTES);
  h.write('Creative Voice File\x1a', 0, 'latin1');
  h.writeUInt16LE(VOC_HEADER_BYTES, 20);
  const version = 0x0114;
  h.writeUInt16LE(version, 22);
  h.writeUInt16LE((~version + 0x1234) & 0xffff, 24);
  return h;
}

/** One self-describing block (mono, 48 kHz, s16le) holding `pcm`, which must be whole samples. */
export function vocBlock(pcm: Buffer): Buffer {
  if (pcm.length % BYTES_PER_SAMPLE !== 0 || pcm.length > MAX_BLOCK_PCM)
    throw new Error(`a VOC block holds whole samples, at most ${MAX_BLOCK_PCM} bytes (got ${pcm.length})`);
  const head = Buffer.alloc(BLOCK_HEAD_BYTES);
  head[0] = 9;
  head.writeUIntLE(BLOCK_HEAD_BYTES - 4 + pcm.length, 1, 3);
  head.writeUInt32LE(SAMPLE_RATE, 4);
  head[8] = BYTES_PER_SAMPLE * 8;
  head[9] = 1;
  head.writeUInt16LE(CODEC_S16LE, 10);
  return Buffer.concat([head, pcm]);
}
