// Text to speech (issue #6): POST /api/media/tts {text, voice?, content?} reads the text aloud and
// stores the result like an upload, with the text kept beside it. 201 with the media, or with
// ?async=1 202 {jobId} (progress at GET /api/media/jobs/:id).
import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IngestQuery, JobAccepted, MediaView, TtsBody, VoiceView } from '../media.schemas.js';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { media, tts } = app.services;

  app.get(
    '/api/media/tts/voices',
    {
      config: { permission: 'media:read' },
      schema: {
        response: {
          200: Type.Object({ voices: Type.Array(VoiceView), default: Type.Union([Type.String(), Type.Null()]) }),
        },
      },
    },
    async () => ({ voices: tts.voices(), default: tts.defaultVoice() ?? null }),
  );

  app.post(
    '/api/media/tts',
    {
      config: { permission: 'media:upload' },
      schema: { body: TtsBody, querystring: IngestQuery, response: { 201: MediaView, 202: JobAccepted } },
    },
    async (req, reply) => {
      const { text, voice, content } = req.body;
      const job = media.submitTts(text, voice, req.user?.id ?? null, { content: content ?? req.query.content });
      if (req.query.async === '1' || req.query.async === 'true') return reply.code(202).send({ jobId: job.id });
      return reply.code(201).send(await media.finished(job));
    },
  );
};
export default routes;
