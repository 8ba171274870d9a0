import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../testing/start-server.js';

describe('GET /docs', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => server?.close());

  it('serves an OpenAPI document generated from the route schemas', async () => {
    const res = await fetch(`${server.base}/docs/json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: unknown }>>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/bulletins', '/api/units/{id}', '/api/communes/{id}/windows']),
    );
    // The body schema of a route is the TypeBox schema it validates with.
    expect(JSON.stringify(doc.paths['/api/bulletins']!.post!.requestBody)).toContain('pinnedTimes');
  });

  it('serves the browsable page', async () => {
    const res = await fetch(`${server.base}/docs/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('swagger');
  });
});
