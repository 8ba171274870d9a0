import { join } from 'node:path';
import fp from 'fastify-plugin';
import { openDatabase, type Db } from './database.js';
import { startCheckpointer } from './checkpointer.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Db;
  }
}

export default fp(
  async (app) => {
    const db = openDatabase(join(app.config.dataDir, 'loa.db'));
    app.decorate('db', db);
    const checkpointer = startCheckpointer(db, app.log.child({ name: 'db' }));
    // Closed last (plugins close in reverse order), after every writer has stopped.
    app.addHook('onClose', async () => {
      await checkpointer.stop();
      db.close();
    });
  },
  { name: 'db' },
);
