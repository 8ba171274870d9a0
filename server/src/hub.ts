// The in-process event hub: features announce what changed; the dashboard socket, alerts and
// metrics listen. A listener that throws is logged and never breaks the announcer.
import { EventEmitter } from 'node:events';
import type { TelemetryMessage, UnitEvent } from '@loa/shared';

export interface HubEvents {
  'unit-status': { unitId: string; online: boolean; at: number };
  'unit-telemetry': { unitId: string; sample: TelemetryMessage; at: number };
  'plan-published': { unitId: string; version: number; items: number; at: number };
  'events-stored': { unitId: string; upTo: number; at: number };
  /** Each event from a unit, once, when first stored (alert rules read failures and faults). */
  'unit-event': { unitId: string; event: UnitEvent; at: number };
  'ingest-progress': { jobId: string; state: string; percent: number; at: number; [k: string]: unknown };
  alert: { unitId: string | null; kind: string; state: 'raised' | 'cleared'; at: number; [k: string]: unknown };
  'command-ack': { unitId: string; commandId: string; ok: boolean; error?: string; at: number };
  /** An emergency broadcast was sent: live sessions give those units up (rule 4). */
  'emergency-started': { emergencyId: string; communeId: string; unitIds: string[]; at: number };
}

export class Hub {
  private readonly emitter = new EventEmitter();
  constructor(private readonly onError: (err: unknown, event: string) => void) {
    this.emitter.setMaxListeners(1000);
  }

  on<K extends keyof HubEvents>(event: K, listener: (payload: HubEvents[K]) => void): () => void {
    const safe = (payload: HubEvents[K]) => {
      try {
        listener(payload);
      } catch (err) {
        this.onError(err, event);
      }
    };
    this.emitter.on(event, safe);
    return () => this.emitter.off(event, safe);
  }

  emit<K extends keyof HubEvents>(event: K, payload: HubEvents[K]): void {
    this.emitter.emit(event, payload);
  }
}
