import Type, { type TSchema } from 'typebox';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const Content = Type.Union([Type.Literal('speech'), Type.Literal('music')], {
  description: 'speech (Opus 32 kb/s, the default) or music (64 kb/s)',
});

export const MediaView = Type.Object({
  sha256: Type.String(),
  bytes: Type.Integer(),
  durationMs: Type.Integer(),
  codec: Type.String(),
  content: Type.String(),
  source: Type.String({ description: 'upload or tts' }),
  originalName: Nullable(Type.String()),
  originalBytes: Type.Integer(),
  originalFormat: Nullable(Type.String()),
  createdAt: Type.Integer(),
  /** EBU R128 figures; null for media stored before loudness normalization existed. */
  loudness: Type.Object({
    inputLufs: Nullable(Type.Number()),
    inputLra: Nullable(Type.Number()),
    inputPeakDbfs: Nullable(Type.Number()),
    outputLufs: Nullable(Type.Number()),
    outputTruePeakDbtp: Nullable(Type.Number()),
    gainDb: Nullable(Type.Number()),
  }),
  sourceDurationMs: Nullable(Type.Integer()),
  trimmedStartMs: Nullable(Type.Integer()),
  trimmedEndMs: Nullable(Type.Integer()),
  text: Nullable(Type.String({ description: 'the text a TTS media was read from' })),
  voice: Nullable(Type.String()),
  warnings: Type.Array(
    Type.Object({
      code: Type.Union([Type.Literal('gain-capped'), Type.Literal('loudness-missed'), Type.Literal('peak-over')]),
      message: Type.String(),
    }),
    { description: 'what the loudness normalization could not reach; empty when on target' },
  ),
});

export const JobView = Type.Object({
  id: Type.String(),
  kind: Type.String({ description: 'upload or tts' }),
  state: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('done'), Type.Literal('failed')]),
  percent: Type.Integer({ minimum: 0, maximum: 100 }),
  originalName: Nullable(Type.String()),
  createdAt: Type.Integer(),
  startedAt: Nullable(Type.Integer()),
  finishedAt: Nullable(Type.Integer()),
  media: Type.Optional(MediaView),
  /** What went wrong, for the operator; `errorCode` is stable for the web app. */
  error: Type.Optional(Type.String()),
  errorCode: Type.Optional(Type.String()),
});

export const JobAccepted = Type.Object({ jobId: Type.String() });

/** `?async=1`: answer 202 {jobId} at once instead of waiting for the media. */
export const IngestQuery = Type.Object({
  async: Type.Optional(Type.Union([Type.Literal('1'), Type.Literal('true'), Type.Literal('0'), Type.Literal('false')])),
  content: Type.Optional(Content),
});

export const TtsBody = Type.Object(
  {
    text: Type.String({ minLength: 1, maxLength: 100_000 }),
    voice: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    content: Type.Optional(Content),
  },
  { additionalProperties: false },
);

export const VoiceView = Type.Object({ id: Type.String(), name: Type.String(), provider: Type.String() });
