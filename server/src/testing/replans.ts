// Waiting for the re-plan a change asked for, in tests: it starts 100 ms after the change, and
// `plans.idle()` alone would cancel it rather than wait for it.
import type { PlansService } from '../schedule/plans.service.js';
import { waitFor } from './wait.js';

/** Waits for a run to start after the first `runsBefore`, then for the queue to empty; the runs since. */
export async function replansAfter(plans: PlansService, runsBefore: number): Promise<ReturnType<PlansService['runs']>> {
  await waitFor('the re-plan the change asked for', () => plans.runs().length > runsBefore || undefined, 5000, 20);
  await plans.idle();
  return plans.runs().slice(runsBefore);
}
