// A worker thread running a TypeScript module. Node does not pass tsx's loader on to workers, so
// the worker registers it first and then imports the module.
import { Worker } from 'node:worker_threads';

export function tsWorker(module: URL): Worker {
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(module.href)}); })`;
  return new Worker(boot, { eval: true });
}
