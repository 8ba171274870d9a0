// Boots the agent: configuration, then the controller; stops it cleanly on SIGTERM/SIGINT
// (systemd's stop), publishing the retained offline status before leaving.
// `loa-agent enroll …` trades a one-time token for the board's identity instead (enroll/).
import { loadConfig, USAGE } from './config/config.js';
import { Controller } from './controller.js';
import { runEnroll } from './enroll/enroll.js';
import { createLogger } from './log.js';
import { agentVersion } from './version.js';

const log = createLogger();

async function main(): Promise<number> {
  // `npm run agent` runs this in agent/; relative paths (data dir, key, sink dir) are meant from
  // where npm was started (the repository root for `npm run agent`).
  if (process.env.npm_lifecycle_event && process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
  if (process.argv[2] === '--version') {
    process.stdout.write(`${agentVersion()}\n`);
    return 0;
  }
  if (process.argv[2] === 'enroll')
    return runEnroll(process.argv.slice(3), process.env, (line) => process.stdout.write(`${line}\n`));
  const result = loadConfig(process.argv.slice(2), process.env);
  if (!result.ok) {
    if (result.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    for (const problem of result.error.problems) log.child('config').error(problem);
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const controller = new Controller({ config: result.config, log });
  try {
    await controller.start();
  } catch (err) {
    log.error(`cannot start: ${(err as Error).message}`);
    await controller.stop().catch(() => undefined);
    return 1;
  }
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      log.info(`${signal}: stopping`);
      // systemd waits 90 s by default; never hang anywhere near that.
      setTimeout(() => {
        log.error('stop took too long; exiting');
        process.exit(1);
      }, 10_000).unref();
      controller.stop().then(resolve, (err: Error) => {
        log.error(`stop failed: ${err.message}`);
        resolve();
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  return 0;
}

// The agent must outlive its own bugs: an unexpected error is logged, never a crash loop.
process.on('uncaughtException', (err) => log.error(`uncaught: ${err.stack ?? err.message}`));
process.on('unhandledRejection', (err) => log.error(`unhandled rejection: ${(err as Error)?.stack ?? String(err)}`));

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    log.error(`fatal: ${err.message}`);
    process.exit(1);
  },
);
