// Runs ffmpeg/ffprobe/espeak-ng by spawn (never through a shell): stdout kept or streamed line by
// line (ffmpeg's `-progress pipe:1`), stderr kept up to a bound, a timeout, and an abort signal so a
// server shutdown stops the ingest jobs it started.
import { spawn } from 'node:child_process';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Called for each line of stdout; stdout is then not kept. */
  onStdoutLine?: (line: string) => void;
  /** Called for each line of stderr (it is kept too, up to `maxStderr` characters). */
  onStderrLine?: (line: string) => void;
  stdin?: string | Buffer;
  maxStderr?: number;
}

export class AbortedError extends Error {
  constructor() {
    super('stopped: the server is shutting down');
  }
}

function lineSplitter(fn: (line: string) => void) {
  let rest = '';
  return {
    push(chunk: Buffer) {
      const text = rest + chunk.toString('utf8');
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) fn(l.replace(/\r$/, ''));
    },
    end() {
      if (rest) fn(rest);
      rest = '';
    },
  };
}

export function run(bin: string, args: string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(new AbortedError());
    const child = spawn(bin, args, { stdio: [opts.stdin !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const maxStderr = opts.maxStderr ?? 64_000;
    const out = opts.onStdoutLine ? lineSplitter(opts.onStdoutLine) : undefined;
    const err = opts.onStderrLine ? lineSplitter(opts.onStderrLine) : undefined;
    child.stdout!.on('data', (d: Buffer) => {
      if (out) out.push(d);
      else if (stdout.length < 16 * 1024 * 1024) stdout += d.toString('utf8');
    });
    child.stderr!.on('data', (d: Buffer) => {
      err?.push(d);
      // Keep the head and the tail: ffmpeg's summary (ebur128) comes last.
      stderr += d.toString('utf8');
      if (stderr.length > maxStderr * 2) stderr = stderr.slice(0, maxStderr / 2) + '\n…\n' + stderr.slice(-maxStderr);
    });
    if (opts.stdin !== undefined) {
      child.stdin!.on('error', () => undefined); // a program that exits early closes its stdin
      child.stdin!.end(opts.stdin);
    }
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      child.kill('SIGKILL');
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      out?.end();
      err?.end();
      if (aborted) return reject(new AbortedError());
      resolve({ code, stdout, stderr });
    });
  });
}

/** Reads ffmpeg's `-progress` lines: calls `fn` with the seconds of output written so far. */
export function progressLines(fn: (seconds: number) => void): (line: string) => void {
  return (line) => {
    const m = /^out_time_us=(\d+)$/.exec(line);
    if (m) fn(Number(m[1]) / 1e6);
  };
}
