// The server's side of the clock probe (DESIGN §3 `units/{id}/time` → `time/reply`, NTP-style): the
// receive and send instants of each probe, so the agent can estimate its offset (issue 7). And the
// rules that turn a unit's telemetry into alerts: a clock off by more than the commune's threshold
// (2 s by default), a disk with less than its share free (10 % by default).
import type { FastifyBaseLogger } from 'fastify';
import { decoder, TimeProbe, topics } from '@loa/shared';
import type { Bus } from '../broker/bus.js';
import type { Hub } from '../hub.js';
import type { AlertsService } from './alerts.service.js';
import type { AlertSettings } from './rules.js';

const probeDecoder = decoder(TimeProbe);

export function answerTimeProbes(bus: Bus, log: FastifyBaseLogger): void {
  bus.on('unit:time', (t, payload) => {
    const t1 = Date.now();
    if (t.kind !== 'unit') return;
    const probe = probeDecoder.decode(payload, 1024);
    if (!probe.ok) return log.warn({ unit: t.unit, reason: probe.error }, 'clock: dropped time probe');
    const reply = JSON.stringify({ t0: probe.value.t0, t1, t2: Date.now() });
    void bus.publish(topics.timeReply(t.unit), reply, { qos: 0 }).catch(() => undefined);
  });
}

/** The share of the disk free is back over the threshold by this many points before low-disk clears. */
const DISK_HYSTERESIS_PERCENT = 1;

/**
 * The clock and disk rules, with the unit's commune thresholds (issue #9). The disk is judged on
 * its free share (free/total under `diskFreePercent`), whatever its size; an agent too old to send
 * its disk's size is judged on its own low-disk flag.
 */
export function watchUnitHealth(
  hub: Hub,
  alerts: AlertsService,
  settingsOf: (unitId: string) => Pick<AlertSettings, 'clockOffsetS' | 'diskFreePercent'>,
): () => void {
  return hub.on('unit-telemetry', ({ unitId, sample }) => {
    const offset = sample.clockOffsetMs;
    const needed = offset !== undefined || sample.diskTotalBytes !== undefined;
    const limits = needed ? settingsOf(unitId) : undefined;
    if (offset !== undefined) {
      if (Math.abs(offset) > limits!.clockOffsetS * 1000) {
        // Whole seconds: a sample every 30 s with a few ms of jitter is not a new alert each time.
        const seconds = Math.round(Math.abs(offset) / 1000);
        alerts.raise(
          unitId,
          'clock-offset',
          `The unit's clock is about ${seconds} s ${offset > 0 ? 'behind' : 'ahead of'} the server's. It plays in server time meanwhile; check its time source (NTP, RTC battery).`,
          { clockOffsetS: offset > 0 ? seconds : -seconds },
        );
      } else alerts.clear(unitId, 'clock-offset');
    }
    const { diskFreeBytes: free, diskTotalBytes: total } = sample;
    if (total !== undefined && total > 0 && free !== undefined) {
      const percent = (free / total) * 100;
      const threshold = limits!.diskFreePercent;
      if (percent < threshold) {
        const shown = Math.floor(percent);
        alerts.raise(
          unitId,
          'low-disk',
          `The unit's disk is ${shown < 1 ? 'under 1' : shown} % free (${mb(free)} MB of ${mb(total)} MB; the alert is under ${threshold} %): new media may not fit. It plays what it has cached; free space on its card.`,
          { freePercent: shown },
        );
      } else if (percent >= threshold + DISK_HYSTERESIS_PERCENT) alerts.clear(unitId, 'low-disk');
    } else if (sample.diskLow === true) {
      alerts.raise(
        unitId,
        'low-disk',
        'The unit is low on disk space: new media may not fit. It plays what it has cached; free space on its card.',
      );
    } else if (sample.diskLow === false) alerts.clear(unitId, 'low-disk');
  });
}

function mb(bytes: number): number {
  return Math.round(bytes / 1024 / 1024);
}
