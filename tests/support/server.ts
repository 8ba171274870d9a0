export { startServer, type TestServer } from '../../server/src/testing/start-server.js';
export { ApiClient } from '../../server/src/testing/api-client.js';
