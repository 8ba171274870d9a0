// The audio itself, for people: the normalized media (what the loudspeakers play, to hear a
// bulletin before approving it) and the original as uploaded. Both are content-addressed, so they
// never change under a URL; byte ranges let the browser's player seek.
import { createReadStream, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import Type from 'typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HttpError } from '../http-error.js';

const Params = Type.Object({ sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }) });

async function sendFile(req: FastifyRequest, reply: FastifyReply, path: string, type: string) {
  const size = (await stat(path)).size;
  reply.type(type).header('accept-ranges', 'bytes').header('cache-control', 'private, max-age=31536000, immutable');
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
  if (range && (range[1] || range[2])) {
    // "bytes=a-b", "bytes=a-" or the last n bytes "bytes=-n".
    const start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]));
    const end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
    if (start > end || start >= size) return reply.code(416).header('content-range', `bytes */${size}`).send();
    reply
      .code(206)
      .header('content-range', `bytes ${start}-${end}/${size}`)
      .header('content-length', end - start + 1);
    return reply.send(createReadStream(path, { start, end }));
  }
  reply.header('content-length', size);
  return reply.send(createReadStream(path));
}

/** A name safe in a Content-Disposition header: the operator's own, minus what could break it. */
function downloadName(name: string | null, sha: string): string {
  const clean = (name ?? '').replace(/[^\p{L}\p{N} ._()-]/gu, '_').slice(0, 120);
  return clean || sha;
}

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const mediaDir = join(app.config.dataDir, 'media');

  app.get(
    '/api/media/:sha256/audio',
    { config: { permission: 'media:read' }, schema: { params: Params } },
    async (req, reply) => {
      const { sha256 } = req.params;
      app.services.media.get(sha256); // 404 for media the server does not have
      const file = join(mediaDir, `${sha256}.ogg`);
      if (!existsSync(file)) throw new HttpError(404, 'media-not-found', `The audio of media ${sha256} is missing.`);
      return sendFile(req, reply, file, 'audio/ogg');
    },
  );

  app.get(
    '/api/media/:sha256/original',
    { config: { permission: 'media:read' }, schema: { params: Params } },
    async (req, reply) => {
      const media = app.services.media.original(req.params.sha256);
      const file = join(mediaDir, 'originals', media.originalSha256);
      if (!existsSync(file))
        throw new HttpError(404, 'original-not-found', 'The original of this media is no longer kept.');
      const name = downloadName(media.originalName, media.originalSha256);
      reply.header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(name)}`);
      return sendFile(req, reply, file, 'application/octet-stream');
    },
  );
};
export default routes;
