// Node's parseArgs refuses `--secret -abc` as ambiguous; getopt (and every Unix tool a technician
// knows) takes the word after an option that needs a value as its value, whatever it starts with.
// Secrets and enrollment tokens are base64url, where '-' is a letter: one older secret in 64
// starts with it. So such pairs are joined as `--secret=-abc` before parsing.

/** Returns argv with each `--name VALUE` whose VALUE starts with '-' written as `--name=VALUE`. */
export function joinDashedValues(argv: readonly string[], valueOptions: Iterable<string>): string[] {
  const takesValue = new Set(valueOptions);
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return [...out, ...argv.slice(i)];
    const next = argv[i + 1];
    if (
      arg.startsWith('--') &&
      takesValue.has(arg.slice(2)) &&
      next !== undefined &&
      next.startsWith('-') &&
      next !== '--'
    ) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}
