// OpenAPI generated from the route schemas (never written by hand), served at /docs. Registered
// before the routes so @fastify/swagger sees every one of them.
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';

export default fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        info: {
          title: 'Loa API',
          description:
            'Control plane of Loa, the smart commune loudspeaker controller. Sign in with POST /api/auth/login; ' +
            'state-changing requests from a browser session send the x-csrf-token header.',
          version: '1',
        },
      },
    });
    // The docs describe the API to anyone who can reach the server; they hold no data.
    await app.register(async (docs) => {
      docs.addHook('onRoute', (route) => {
        route.config = { ...(route.config as object), public: true } as typeof route.config;
      });
      await docs.register(swaggerUi, { routePrefix: '/docs' });
    });
  },
  { name: 'docs' },
);
