// Namespaced one-line logs on stderr (`agent:plan dropped plan: bad signature`), so journald keeps
// one record per line and a technician can grep by part. Never pass secrets to these functions.

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug(message: string): void;
  child(part: string): Logger;
}

export type LogSink = (line: string) => void;

const stderrSink: LogSink = (line) => {
  process.stderr.write(`${line}\n`);
};

/** Newlines in a reason (ffmpeg output, an error stack) would split one record in two. */
function oneLine(message: string): string {
  return message.replace(/[\r\n]+/g, ' | ').slice(0, 2000);
}

export function createLogger(
  namespace = 'agent',
  sink: LogSink = stderrSink,
  debug = process.env.LOA_DEBUG === '1',
): Logger {
  const write = (level: string, message: string) => sink(`${namespace}${level ? ` ${level}` : ''} ${oneLine(message)}`);
  return {
    info: (m) => write('', m),
    // A dropped message is an expected event on a trust boundary, not a fault of the agent: plain line.
    warn: (m) => write('', m),
    error: (m) => write('error:', m),
    debug: (m) => {
      if (debug) write('debug:', m);
    },
    child: (part) => createLogger(`${namespace}:${part}`, sink, debug),
  };
}

/** A logger that keeps its lines in memory, for tests that assert on what was logged. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const echo = process.env.LOA_TEST_LOG === '1';
  const logger = createLogger(
    'agent',
    (line) => {
      lines.push(line);
      if (echo) process.stderr.write(`${line}\n`);
    },
    true,
  );
  return Object.assign(logger, { lines });
}
