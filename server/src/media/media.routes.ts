import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HttpError } from '../http-error.js';
import { IngestQuery, JobAccepted, MediaView } from './media.schemas.js';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const media = app.services.media;

  // Waits for the media (201); with ?async=1 answers 202 {jobId} at once, progress at
  // GET /api/media/jobs/:id and on the dashboard socket. `content` (speech|music) picks the bitrate,
  // in the query or as a form field before the file.
  app.post(
    '/api/media',
    {
      config: { permission: 'media:upload' },
      schema: {
        consumes: ['multipart/form-data'],
        querystring: IngestQuery,
        response: { 201: MediaView, 202: JobAccepted },
      },
    },
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
      const field = part.fields.content as { value?: unknown } | undefined;
      const content = req.query.content ?? (field?.value === 'music' ? 'music' : undefined);
      const job = await media.submit(part.file, part.filename, req.user?.id ?? null, { content });
      if (req.query.async === '1' || req.query.async === 'true') return reply.code(202).send({ jobId: job.id });
      return reply.code(201).send(await media.finished(job));
    },
  );

  app.get(
    '/api/media',
    {
      config: { permission: 'media:read' },
      schema: { response: { 200: Type.Object({ media: Type.Array(MediaView) }) } },
    },
    async () => ({ media: media.list() }),
  );

  app.get(
    '/api/media/:sha256',
    {
      config: { permission: 'media:read' },
      schema: {
        params: Type.Object({ sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }) }),
        response: { 200: MediaView },
      },
    },
    async (req) => media.get(req.params.sha256),
  );
};
export default routes;
