// Boots the server: configuration, listen, the first admin's password once, graceful close.
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { allocatorAdvice, glibcVersion } from './broker/thread/allocator.js';
import { heapLimitAdvice, heapLimitMb } from './heap-limit.js';

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Loa cannot start: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const app = await buildApp(config);
  const advice = allocatorAdvice({
    brokerThread: app.embeddedBroker?.runs === 'thread',
    env: process.env,
    glibc: glibcVersion(),
  });
  if (advice) app.log.warn(advice);
  const heapAdvice = heapLimitAdvice(heapLimitMb());
  if (heapAdvice) app.log.warn(heapAdvice);
  await app.listen({ port: config.port, host: config.host });
  const port = (app.server.address() as { port: number }).port;
  const mqtt = app.embeddedBroker
    ? `embedded MQTT broker on port ${app.embeddedBroker.port}${app.embeddedBroker.tlsPort ? `, MQTTS on port ${app.embeddedBroker.tlsPort}` : ''}`
    : `external MQTT broker ${config.mqttUrl}`;
  const lines = [
    ``,
    `Loa is running: ${config.tls ? 'https' : 'http'}://localhost:${port}/  (${mqtt}; data in ${config.dataDir})`,
  ];
  if (app.firstAdmin) {
    lines.push(
      `First start — sign in as "${app.firstAdmin.username}" with password: ${app.firstAdmin.password}`,
      `Lần chạy đầu — đăng nhập "${app.firstAdmin.username}" với mật khẩu: ${app.firstAdmin.password}`,
      `(shown only once; change it after signing in)`,
    );
  }
  // Printed on stdout, not in the log, so the password never lands in log files.
  process.stdout.write(lines.join('\n') + '\n\n');

  let closing = false;
  const stop = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    // A client holding a request open must not keep the database and the broker from closing
    // cleanly: after 5 s its connection is cut, and only a close stuck past 15 s exits hard.
    const cut = setTimeout(() => app.server.closeAllConnections(), 5_000);
    const force = setTimeout(() => process.exit(1), 15_000);
    cut.unref();
    force.unref();
    await app.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

await main();
