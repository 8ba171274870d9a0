// For tests that show a failure is handled, not left to end the process: what Node reported as
// unhandled rejections while `work` ran, and for a moment after (they are reported a turn later).
export async function unhandledRejectionsDuring(work: () => Promise<void>): Promise<unknown[]> {
  const unhandled: unknown[] = [];
  const note = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', note);
  try {
    await work();
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    process.off('unhandledRejection', note);
  }
  return unhandled;
}
