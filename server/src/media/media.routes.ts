import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HttpError } from '../http-error.js';

const MediaView = Type.Object({
  sha256: Type.String(),
  bytes: Type.Integer(),
  durationMs: Type.Integer(),
  codec: Type.String(),
  originalName: Type.Union([Type.String(), Type.Null()]),
  originalBytes: Type.Integer(),
  originalFormat: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.Integer(),
});

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const media = app.services.media;

  app.post(
    '/api/media',
    { schema: { consumes: ['multipart/form-data'], response: { 201: MediaView } } },
    async (req, reply) => {
      if (!req.isMultipart())
        throw new HttpError(
          415,
          'multipart-required',
          'Send the audio as a multipart form upload in the field "file".',
        );
      const part = await req.file();
      if (!part)
        throw new HttpError(400, 'file-required', 'No file was attached. Choose an audio file and upload it again.');
      const view = await media.ingest(part.file, part.filename, req.user?.id ?? null);
      return reply.code(201).send(view);
    },
  );

  app.get('/api/media', { schema: { response: { 200: Type.Object({ media: Type.Array(MediaView) }) } } }, async () => ({
    media: media.list(),
  }));

  app.get(
    '/api/media/:sha256',
    {
      schema: {
        params: Type.Object({ sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }) }),
        response: { 200: MediaView },
      },
    },
    async (req) => media.get(req.params.sha256),
  );
};
export default routes;
