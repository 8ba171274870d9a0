// Ingest jobs (contract of issue #6): GET /api/media/jobs/:id → {id, state, percent, media?, error?};
// the same progress is announced on the dashboard socket as `ingest-progress`.
import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { JobView } from './media.schemas.js';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const media = app.services.media;

  app.get(
    '/api/media/jobs',
    {
      config: { permission: 'media:read' },
      schema: {
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) }),
        response: {
          200: Type.Object({ jobs: Type.Array(JobView), running: Type.Integer(), queued: Type.Integer() }),
        },
      },
    },
    async (req) => ({ jobs: media.jobs(req.query.limit ?? 50), ...media.queueStats() }),
  );

  app.get(
    '/api/media/jobs/:id',
    {
      config: { permission: 'media:read' },
      schema: {
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: { 200: JobView },
      },
    },
    async (req) => media.job(req.params.id),
  );

  // What the fan-out of DESIGN §3 has cost so far: it should stay near one copy per media.
  app.get(
    '/api/media/distribution',
    {
      config: { permission: 'media:read' },
      schema: {
        response: {
          200: Type.Object({
            wantsReceived: Type.Integer(),
            roundsPublished: Type.Integer(),
            chunksPublished: Type.Integer(),
            bytesPublished: Type.Integer(),
          }),
        },
      },
    },
    async () => ({ ...app.services.distribution.stats }),
  );
};
export default routes;
