// A stand-in for libgpiod's `gpioset` (the GPIO line is the hardware we fake): a shell script that
// logs its arguments, holds "the line" until SIGTERM like the real tool does, and answers
// `--version` as libgpiod 1.x or 2.x would. `busy` makes it fail the way a taken line does.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface FakeGpioset {
  path: string;
  /** Lines of the log: `PID ARGS…` at start, `PID exit` on SIGTERM. */
  log(): Promise<string[]>;
}

export async function fakeGpioset(dir: string, opts: { major?: 1 | 2; busy?: boolean } = {}): Promise<FakeGpioset> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'gpioset');
  const logFile = join(dir, 'gpioset.log');
  const version = opts.major === 1 ? 'v1.6.3' : 'v2.1';
  await writeFile(
    path,
    `#!/bin/sh
if [ "$1" = "--version" ]; then echo "gpioset (libgpiod) ${version}"; exit 0; fi
${opts.busy ? `echo "gpioset: error setting the GPIO line values: Device or resource busy" >&2; exit 1` : ''}
echo "$$ $*" >> "${logFile}"
trap 'kill $child 2>/dev/null; echo "$$ exit" >> "${logFile}"; exit 0' TERM INT
sleep 3600 &
child=$!
wait $child
`,
  );
  await chmod(path, 0o755);
  return {
    path,
    log: async () => (await readFile(logFile, 'utf8').catch(() => '')).split('\n').filter(Boolean),
  };
}
