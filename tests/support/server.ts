export { startServer, type TestServer, type TestUser } from '../../server/src/testing/start-server.js';
export { ApiClient } from '../../server/src/testing/api-client.js';
