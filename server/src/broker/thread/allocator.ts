// Issue #10: the memory the broker's thread costs beyond its heap. glibc's malloc gives each thread
// that allocates its own arenas (up to eight per core) and returns little of their freed memory,
// so with the broker in its own thread a 5,000-unit fleet held ~75 MB more RSS than the heaps
// explain (peak 555 → 480 MB with two arenas, the same run otherwise). `MALLOC_ARENA_MAX` is read
// by glibc when the process starts, so it cannot be set from here: `npm start` sets it, and a
// server started another way (a systemd unit, `node` by hand) is told at start what to add.

/** The value `npm start` gives MALLOC_ARENA_MAX (server/package.json). */
export const ARENA_MAX = '2';

/** The glibc version the process runs on, or undefined (musl, macOS, Windows). */
export function glibcVersion(): string | undefined {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime;
}

/**
 * What to tell the operator when the broker runs in a thread on glibc and MALLOC_ARENA_MAX is not
 * set; undefined when there is nothing to say.
 */
export function allocatorAdvice(opts: {
  brokerThread: boolean;
  env: NodeJS.ProcessEnv;
  glibc: string | undefined;
}): string | undefined {
  if (!opts.brokerThread || !opts.glibc || opts.env.MALLOC_ARENA_MAX) return undefined;
  return (
    `MALLOC_ARENA_MAX is not set: with the embedded broker in its own thread, glibc's per-thread ` +
    `arenas hold tens of MB that a province's server does not need. Start the server with ` +
    `MALLOC_ARENA_MAX=${ARENA_MAX} in its environment (npm start does; in a systemd unit: ` +
    `Environment=MALLOC_ARENA_MAX=${ARENA_MAX}).`
  );
}
