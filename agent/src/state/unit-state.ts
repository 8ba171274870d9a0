// Settings the server changes by command and the board must keep across a power cut: the unit's
// volume and its mute, the kill switch of a faulty cluster (DESIGN §6), which must not come undone
// by a reboot.
import { join } from 'node:path';
import type { PlanItem } from '@loa/shared';
import type { Logger } from '../log.js';
import { readIfExists, writeFileAtomic } from '../fs/durable.js';

export interface UnitSettings {
  volume: number;
  muted: boolean;
}

export class UnitState {
  private settings: UnitSettings = { volume: 100, muted: false };

  constructor(
    private readonly dataDir: string,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const raw = await readIfExists(join(this.dataDir, 'state.json'));
    if (!raw) return;
    try {
      const v = JSON.parse(raw.toString('utf8')) as Partial<UnitSettings>;
      if (Number.isInteger(v.volume) && v.volume! >= 0 && v.volume! <= 100) this.settings.volume = v.volume!;
      if (typeof v.muted === 'boolean') this.settings.muted = v.muted;
    } catch {
      this.log.warn('state.json is unreadable; using volume 100, not muted');
    }
  }

  get volume(): number {
    return this.settings.volume;
  }

  get muted(): boolean {
    return this.settings.muted;
  }

  async update(change: Partial<UnitSettings>): Promise<void> {
    this.settings = { ...this.settings, ...change };
    await writeFileAtomic(join(this.dataDir, 'state.json'), JSON.stringify(this.settings));
  }

  /**
   * Linear gain for an item. Rule 4: an emergency airs at its own volume, whatever the unit volume;
   * mute still wins, since it is how a technician silences a cluster that is broken.
   */
  gain(item: PlanItem): number {
    if (this.settings.muted) return 0;
    const unit = item.level === 'emergency' ? 1 : this.settings.volume / 100;
    return (item.volume / 100) * unit;
  }
}
