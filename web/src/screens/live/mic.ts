// The microphone for live broadcast (issue #8): capture, encode to Opus, hand out one packet at a
// time, and the level of what is heard.
//
// Why WebCodecs and not MediaRecorder: latency and what the server can check. MediaRecorder gives
// WebM (or Ogg) slices: a container around the Opus packets, produced on the recorder's own timer
// and buffering (in practice 100 ms or more before a slice comes out, on top of the timeslice), and
// a slice is not a self-contained unit: it continues the stream the first slice started, so the
// server can neither check one on its own nor drop a bad one and go on. WebCodecs' AudioEncoder
// gives exactly one 20 ms Opus packet per output, as soon as it is encoded; each goes in one
// WebSocket message the server can validate, wrap in its own Ogg page and forward, or drop alone.
//
// Capture: MediaStreamTrackProcessor where it exists (Chrome, Edge), which hands over the track's
// AudioData directly; elsewhere (Firefox, Safari) an AudioWorklet in an AudioContext at 48 kHz, whose
// blocks become AudioData of 960 samples (20 ms). Either way the level comes from the same samples.
import { Blocks, FRAME_SAMPLES, Resampler, rmsLevel, SAMPLE_RATE } from './audio.js';

export const OPUS_CONFIG: AudioEncoderConfig = {
  codec: 'opus',
  sampleRate: SAMPLE_RATE,
  numberOfChannels: 1,
  bitrate: 32_000,
  opus: { frameDuration: 20_000, application: 'voip' } as OpusEncoderConfig,
};

export type MicFailure = 'unsupported' | 'insecure' | 'denied' | 'absent' | 'busy';

/** Why the microphone cannot be used, as a kind the screen puts in words. */
export class MicError extends Error {
  constructor(
    readonly kind: MicFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface MicHandlers {
  /** One encoded 20 ms Opus packet. */
  packet(bytes: Uint8Array): void;
  /** The level of the last block heard, 0..1 (about 100 times a second). */
  level(value: number): void;
  /** The capture or the encoder failed after it started. */
  failed(err: Error): void;
}

export interface Mic {
  /** Which capture path is in use (shown in the page for the technician, asserted by tests). */
  readonly path: 'track-processor' | 'worklet';
  /** Stops capturing and encoding, and releases the microphone (the browser's red dot goes). */
  stop(): void;
}

// Not in TypeScript's DOM library yet (Chrome only, https://w3c.github.io/mediacapture-transform/).
interface TrackProcessor {
  readable: ReadableStream<AudioData>;
}
type TrackProcessorCtor = new (init: { track: MediaStreamTrack }) => TrackProcessor;

/** Posts the input in blocks of 960 samples (at the context's rate), transferring each block. */
const WORKLET = `
class LoaMicTap extends AudioWorkletProcessor {
  constructor() { super(); this.buf = new Float32Array(${FRAME_SAMPLES}); this.n = 0; }
  process(inputs) {
    const ch = inputs[0] && inputs[0][0];
    if (!ch) return true;
    let i = 0;
    while (i < ch.length) {
      const k = Math.min(ch.length - i, this.buf.length - this.n);
      this.buf.set(ch.subarray(i, i + k), this.n);
      this.n += k; i += k;
      if (this.n === this.buf.length) {
        this.port.postMessage(this.buf, [this.buf.buffer]);
        this.buf = new Float32Array(${FRAME_SAMPLES}); this.n = 0;
      }
    }
    return true;
  }
}
registerProcessor('loa-mic-tap', LoaMicTap);
`;

/** Whether this browser can encode live audio at all (checked before asking for the microphone). */
export async function canEncode(): Promise<boolean> {
  if (typeof AudioEncoder === 'undefined' || typeof AudioData === 'undefined') return false;
  try {
    return (await AudioEncoder.isConfigSupported(OPUS_CONFIG)).supported === true;
  } catch {
    return false;
  }
}

function classify(err: unknown): MicError {
  const name = err instanceof DOMException || err instanceof Error ? err.name : '';
  const message = err instanceof Error ? err.message : String(err);
  if (name === 'NotAllowedError' || name === 'SecurityError') return new MicError('denied', message);
  if (name === 'NotReadableError' || name === 'AbortError') return new MicError('busy', message);
  return new MicError('absent', message || name);
}

export async function openMic(h: MicHandlers, opts: { preferWorklet?: boolean } = {}): Promise<Mic> {
  // Over plain http (other than this machine) the browser hides both the microphone and WebCodecs:
  // that is the address's fault, not the browser's, so it is said first.
  if (!window.isSecureContext) throw new MicError('insecure', 'the page is not served over https');
  if (!(await canEncode())) throw new MicError('unsupported', 'no WebCodecs AudioEncoder for Opus');
  if (!navigator.mediaDevices?.getUserMedia) throw new MicError('unsupported', 'no navigator.mediaDevices');
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 },
      video: false,
    });
  } catch (err) {
    throw classify(err);
  }
  const track = stream.getAudioTracks()[0];
  if (!track) {
    stream.getTracks().forEach((t) => t.stop());
    throw new MicError('absent', 'the stream has no audio track');
  }

  let closed = false;
  const cleanups: (() => void)[] = [];
  const stop = () => {
    if (closed) return;
    closed = true;
    for (const fn of cleanups.reverse()) {
      try {
        fn();
      } catch {
        // already closed
      }
    }
    stream.getTracks().forEach((t) => t.stop());
  };
  const fail = (err: unknown) => {
    if (closed) return;
    stop();
    h.failed(err instanceof Error ? err : new Error(String(err)));
  };

  const encoder = new AudioEncoder({
    output: (chunk) => {
      if (closed) return;
      const bytes = new Uint8Array(chunk.byteLength);
      chunk.copyTo(bytes);
      h.packet(bytes);
    },
    error: fail,
  });
  encoder.configure(OPUS_CONFIG);
  cleanups.push(() => encoder.state !== 'closed' && encoder.close());

  // Samples that do not come as 48 kHz mono AudioData are resampled if need be, cut in 20 ms
  // blocks and wrapped in AudioData here; timestamps count the samples sent (µs).
  const blocks = new Blocks(FRAME_SAMPLES);
  let resampler: Resampler | undefined;
  let sent = 0;
  const encodeBlock = (block: Float32Array<ArrayBuffer>) => {
    const data = new AudioData({
      format: 'f32-planar',
      sampleRate: SAMPLE_RATE,
      numberOfFrames: block.length,
      numberOfChannels: 1,
      timestamp: Math.round((sent * 1e6) / SAMPLE_RATE),
      data: block,
    });
    sent += block.length;
    encode(data);
  };
  const encode = (data: AudioData) => {
    // An encoder that cannot keep up (a starved tab) drops audio rather than falling behind.
    if (encoder.state === 'configured' && encoder.encodeQueueSize < 25) encoder.encode(data);
    data.close();
  };
  const feed = (samples: Float32Array, rate: number) => {
    if (closed) return;
    h.level(rmsLevel(samples));
    if (rate !== SAMPLE_RATE && resampler?.from !== rate) resampler = new Resampler(rate, SAMPLE_RATE);
    blocks.push(rate === SAMPLE_RATE ? samples : resampler!.push(samples), encodeBlock);
  };

  const Processor = (window as unknown as { MediaStreamTrackProcessor?: TrackProcessorCtor }).MediaStreamTrackProcessor;
  try {
    if (Processor && !opts.preferWorklet) {
      const reader = new Processor({ track }).readable.getReader();
      cleanups.push(() => void reader.cancel().catch(() => undefined));
      void (async () => {
        for (;;) {
          const { value: frame, done } = await reader.read();
          if (done || closed) {
            frame?.close();
            return;
          }
          const direct =
            frame.sampleRate === SAMPLE_RATE && frame.numberOfChannels === 1 && frame.format === 'f32-planar';
          const plane = { planeIndex: 0, format: 'f32-planar' as const };
          const samples = new Float32Array(frame.allocationSize(plane) / 4);
          frame.copyTo(samples, plane);
          if (direct) {
            // Already what the encoder wants (Chrome: 10 ms of f32-planar 48 kHz mono).
            h.level(rmsLevel(samples));
            encode(frame);
          } else {
            frame.close();
            feed(samples, frame.sampleRate);
          }
        }
      })().catch(fail);
      return { path: 'track-processor', stop };
    }

    let ctx = new AudioContext({ sampleRate: SAMPLE_RATE, latencyHint: 'interactive' });
    let source: MediaStreamAudioSourceNode;
    try {
      source = ctx.createMediaStreamSource(stream);
    } catch {
      // Firefox will not connect a microphone running at another rate: capture at the
      // microphone's own rate and resample here.
      await ctx.close();
      ctx = new AudioContext({ latencyHint: 'interactive' });
      source = ctx.createMediaStreamSource(stream);
    }
    const audio = ctx;
    cleanups.push(() => void audio.close().catch(() => undefined));
    const url = URL.createObjectURL(new Blob([WORKLET], { type: 'text/javascript' }));
    try {
      await audio.audioWorklet.addModule(url);
    } finally {
      URL.revokeObjectURL(url);
    }
    const tap = new AudioWorkletNode(audio, 'loa-mic-tap', {
      numberOfInputs: 1,
      numberOfOutputs: 1,
      outputChannelCount: [1],
      channelCount: 1,
      channelCountMode: 'explicit',
    });
    tap.port.onmessage = (e: MessageEvent<Float32Array>) => feed(e.data, audio.sampleRate);
    // A silent path to the output keeps the graph pulling the tap in every browser.
    const mute = audio.createGain();
    mute.gain.value = 0;
    source.connect(tap);
    tap.connect(mute).connect(audio.destination);
    await audio.resume();
    return { path: 'worklet', stop };
  } catch (err) {
    stop();
    throw err;
  }
}
