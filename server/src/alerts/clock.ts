// The server's side of the clock probe (DESIGN §3 `units/{id}/time` → `time/reply`, NTP-style): the
// receive and send instants of each probe, so the agent can estimate its offset (issue 7). And the
// rules that turn a unit's telemetry into alerts: a clock more than 2 s off, a low disk.
import type { FastifyBaseLogger } from 'fastify';
import { decoder, TimeProbe, topics } from '@loa/shared';
import type { Bus } from '../broker/bus.js';
import type { Hub } from '../hub.js';
import type { AlertsService } from './alerts.service.js';

const probeDecoder = decoder(TimeProbe);

/** Issue 7: an offset over this raises the `clock-offset` alert; back under it clears it. */
export const CLOCK_ALERT_MS = 2000;

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

export function watchUnitHealth(hub: Hub, alerts: AlertsService): () => void {
  return hub.on('unit-telemetry', ({ unitId, sample }) => {
    const offset = sample.clockOffsetMs;
    if (offset !== undefined) {
      if (Math.abs(offset) > CLOCK_ALERT_MS) {
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
    if (sample.diskLow === true) {
      alerts.raise(
        unitId,
        'low-disk',
        'The unit is low on disk space: new media may not fit. It plays what it has cached; free space on its card.',
      );
    } else if (sample.diskLow === false) alerts.clear(unitId, 'low-disk');
  });
}
