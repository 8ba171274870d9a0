// One polling helper for every test: the server's own tests use the same one.
export { waitFor } from '../../server/src/testing/wait.js';
