// Starts and stops the agent's parts, in order, and wires them together. Nothing happens in a
// constructor: `start()` does the I/O, `stop()` undoes it, so tests can run several agents in one
// process and `main.ts` can stop cleanly on SIGTERM.
import { mkdir } from 'node:fs/promises';
import { topics, type PlanBody, type StatusMessage } from '@loa/shared';
import type { Clock } from './clock/clock.js';
import { CorrectedClock } from './clock/corrected-clock.js';
import { parseSink, type AgentConfig } from './config/config.js';
import { createLogger, type Logger } from './log.js';
import { MqttLink } from './mqtt/link.js';
import { loadTrustedKeys } from './plan/keys.js';
import { PlanStore } from './plan/plan-store.js';
import { MediaStore } from './cache/media-store.js';
import { MediaFetcher } from './cache/media-fetcher.js';
import { mediaNeeded } from './cache/needed.js';
import type { StoreFs } from './cache/store-fs.js';
import { EventQueue } from './events/event-queue.js';
import { EventPublisher } from './events/event-publisher.js';
import { PlayedRecord } from './scheduler/played-record.js';
import { Scheduler } from './scheduler/scheduler.js';
import { reportInterrupted } from './scheduler/interrupted.js';
import { Player } from './player/player.js';
import { findFfmpeg } from './player/ffmpeg.js';
import { createSink, type Sink } from './player/sinks/index.js';
import { UnitState } from './state/unit-state.js';
import { Commands } from './commands/commands.js';
import { commandHandlers } from './commands/handlers.js';
import { Emergency } from './emergency/emergency.js';
import { Live } from './live/live.js';
import { Telemetry } from './health/telemetry.js';
import { ClockProbe } from './health/clock-probe.js';
import { systemProbe, type SystemProbe } from './health/system.js';
import { Amplifier } from './amplifier/amplifier.js';
import { createRelay, parseRelay, type Relay } from './amplifier/relay.js';
import { agentVersion } from './version.js';

export interface Tuning {
  prepareLeadMs?: number;
  wantIntervalMs?: number;
  eventsResendMs?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  housekeepingMs?: number;
  clockProbeIntervalMs?: number;
}

export interface ControllerOptions {
  config: AgentConfig;
  /** Replaces the corrected clock (tests on a manual clock). */
  clock?: Clock;
  log?: Logger;
  /** Replaces the sink named in the config (tests). */
  sink?: Sink;
  /** Replaces the relay named in the config (tests). */
  relay?: Relay;
  /** Replaces the ffmpeg lookup; null means "not installed" (tests). */
  ffmpeg?: string | null;
  /** Replaces the cache's file writes (tests fill the disk with it). */
  storeFs?: StoreFs;
  /** Replaces /proc, /sys and the board's tools (tests). */
  system?: SystemProbe;
  tuning?: Tuning;
}

/** Unused media and partial downloads are removed after this long. */
const PRUNE_AFTER_MS = 7 * 24 * 3600_000;
const HOUSEKEEPING_MS = 60_000;
const MB = 1024 * 1024;

interface Parts {
  link: MqttLink;
  plans: PlanStore;
  store: MediaStore;
  fetcher: MediaFetcher;
  events: EventQueue;
  publisher: EventPublisher;
  record: PlayedRecord;
  scheduler: Scheduler;
  state: UnitState;
  commands: Commands;
  telemetry: Telemetry;
  amplifier: Amplifier;
  probe: ClockProbe;
  clock: Clock;
  emergency: Emergency;
  live: Live;
  sink: Sink;
}

export class Controller {
  private p: Parts | undefined;
  private connectedSince: number | undefined;
  private housekeeping: NodeJS.Timeout | undefined;

  constructor(private readonly opts: ControllerOptions) {}

  /** The running parts, for tests and for the command handlers. */
  get parts(): Parts {
    if (!this.p) throw new Error('the agent is not started');
    return this.p;
  }

  async start(): Promise<void> {
    const { config, tuning = {} } = this.opts;
    const corrected = this.opts.clock ? undefined : new CorrectedClock();
    const clock: Clock = this.opts.clock ?? corrected!;
    const log = this.opts.log ?? createLogger();
    const { unit, dataDir } = config;
    await mkdir(dataDir, { recursive: true });
    const keys = await loadTrustedKeys(config.serverKey);

    const events = new EventQueue(dataDir, clock, log.child('events'));
    await events.start();
    const state = new UnitState(dataDir, log.child('state'));
    await state.start();
    const record = new PlayedRecord(dataDir, log.child('scheduler'));
    await record.start(clock.now());
    const store = new MediaStore(dataDir, this.opts.storeFs);
    await store.start();
    // Never left on after a crash: off before anything else can play (issue 7).
    const relay =
      this.opts.relay ??
      createRelay(parseRelay(config.relay), { dataDir, now: () => clock.now(), gpioset: process.env.GPIOSET_PATH });
    const amplifier = new Amplifier({ relay, log: log.child('amplifier'), events });
    await amplifier.start();
    await reportInterrupted(record, events, log.child('scheduler'));

    const ffmpeg = this.opts.ffmpeg === null ? undefined : (this.opts.ffmpeg ?? findFfmpeg());
    const sink =
      this.opts.sink ??
      createSink(
        parseSink(config.sink),
        () => ffmpeg,
        () => clock.now(),
      );
    const player = new Player({ sink, ffmpeg, clock, log: log.child('player') });
    player.start();

    const link = new MqttLink({
      url: config.server,
      unit,
      secret: config.secret,
      will: { topic: topics.status(unit), payload: JSON.stringify({ online: false } satisfies StatusMessage) },
      log: log.child('mqtt'),
      minBackoffMs: tuning.minBackoffMs,
      maxBackoffMs: tuning.maxBackoffMs,
    });
    // First on every connect: the server learns the unit is back before anything else arrives.
    link.onConnect(() => {
      this.connectedSince = clock.now();
      return this.publishStatus();
    });

    const scheduler = new Scheduler({
      clock,
      player,
      media: store,
      events,
      record,
      log: log.child('scheduler'),
      gain: (item) => state.gain(item),
      prepareLeadMs: tuning.prepareLeadMs,
      amplifier,
      warmupMs: config.warmupMs,
    });
    const fetcher = new MediaFetcher({
      unit,
      store,
      link,
      events,
      clock,
      log: log.child('cache'),
      wantIntervalMs: tuning.wantIntervalMs,
      quotaBytes: config.cacheQuotaMb * MB,
      keep: () => this.keepSet(),
    });
    const emergency = new Emergency({
      clock,
      log: log.child('emergency'),
      scheduler,
      player,
      amplifier,
      warmupMs: () => plans.current?.warmupMs ?? config.warmupMs,
      media: store,
      needsChanged: () => void this.refreshNeeds(),
      muted: () => state.muted,
    });
    const live = new Live({
      clock,
      log: log.child('live'),
      link,
      scheduler,
      player,
      amplifier,
      warmupMs: () => plans.current?.warmupMs ?? config.warmupMs,
      muted: () => state.muted,
      plan: () => plans.current,
    });
    fetcher.onReady((sha) => {
      scheduler.mediaReady();
      emergency.mediaReady(sha);
    });
    const plans = new PlanStore({
      dataDir,
      unit,
      keys,
      clock,
      log: log.child('plan'),
      onPlan: (plan) => this.onPlan(plan),
    });
    const publisher = new EventPublisher({
      unit,
      queue: events,
      link,
      log: log.child('events'),
      resendMs: tuning.eventsResendMs,
    });
    const probe = new ClockProbe({
      unit,
      link,
      base: Date.now,
      log: log.child('health'),
      intervalMs: tuning.clockProbeIntervalMs,
      onOffset: (offset, rtt) => {
        if (!corrected || Math.abs(offset - corrected.offsetMs) < 20) return;
        log.child('clock').info(`offset to the server ${offset} ms (round trip ${rtt} ms): scheduling in server time`);
        corrected.setOffset(offset);
      },
    });
    corrected?.onOffset(() => scheduler.mediaReady());
    const commands = new Commands({
      unit,
      dataDir,
      keys,
      clock,
      link,
      log: log.child('commands'),
      handlers: commandHandlers({
        clock,
        log: log.child('commands'),
        state,
        scheduler,
        media: store,
        plan: () => plans.current,
        resync: async () => {
          await this.publishStatus();
          await fetcher.resync();
        },
        rebootCommand: config.rebootCommand,
        emergency,
        live,
      }),
    });
    const telemetry = new Telemetry({
      unit,
      intervalS: config.telemetryIntervalS,
      agentVersion: agentVersion(),
      link,
      clock,
      log: log.child('health'),
      events,
      system: this.opts.system ?? systemProbe(),
      freeBytes: () => store.freeBytes(),
      totalBytes: () => store.totalBytes(),
      lowDiskBytes: config.lowDiskMb * MB,
      snapshot: () => ({
        volume: state.volume,
        muted: state.muted,
        playing: scheduler.playing,
        planVersion: plans.version,
        cacheBytes: store.cacheBytes,
        amplifierOn: amplifier.on,
        clockOffsetMs: probe.offsetMs,
      }),
    });
    this.p = {
      link,
      plans,
      store,
      fetcher,
      events,
      publisher,
      record,
      scheduler,
      state,
      commands,
      telemetry,
      amplifier,
      probe,
      clock,
      emergency,
      live,
      sink,
    };

    link.subscribe(topics.plan(unit), (_t, payload) => void plans.receive(payload));
    publisher.start();
    fetcher.start();
    scheduler.start();
    await commands.start();
    probe.start();
    telemetry.start();
    // The stored plan first: a unit that boots with no link plays from its cache (rule 6).
    await plans.start();
    await telemetry.checkDisk();
    link.start();
    this.housekeeping = setInterval(() => void this.tidy(), tuning.housekeepingMs ?? HOUSEKEEPING_MS);
    log.info(
      `agent ${agentVersion()} started: unit ${unit}, sink ${sink.name}, relay ${relay.name}, data in ${dataDir}`,
    );
  }

  async stop(): Promise<void> {
    const p = this.p;
    if (!p) return;
    clearInterval(this.housekeeping);
    p.telemetry.stop();
    p.probe.stop();
    p.emergency.stop();
    await p.live.shutdown();
    await p.commands.stop();
    p.fetcher.stop();
    await p.plans.stop();
    // The item playing ends as `preempted` (agent stopping); try to send that before leaving.
    await p.scheduler.stop();
    // The sound card's writer (ALSA) outlives items; nothing plays any more.
    await p.sink.close?.();
    await p.amplifier.stop();
    p.publisher.stop();
    await p.publisher.flush(false);
    const offline: StatusMessage = { online: false };
    await p.link.stop({ topic: topics.status(this.opts.config.unit), payload: JSON.stringify(offline) });
    await p.events.stop();
    await p.record.stop();
    this.p = undefined;
  }

  private onPlan(plan: PlanBody): void {
    const p = this.parts;
    p.scheduler.setPlan(plan);
    void this.refreshNeeds();
    void this.publishStatus();
  }

  /** Media never evicted: every media of the plan held (today's and tomorrow's items). */
  private keepSet(): Set<string> {
    const emergency = this.p?.emergency.wanted().map((m) => m.sha256) ?? [];
    return new Set([...emergency, ...(this.p?.plans.current?.items.map((i) => i.media.sha256) ?? [])]);
  }

  private async tidy(): Promise<void> {
    await this.refreshNeeds();
    await this.p?.telemetry.checkDisk();
  }

  /** Wants what the plan still needs, and lets go of media no plan has needed for a week. */
  private async refreshNeeds(): Promise<void> {
    const p = this.p;
    const plan = p?.plans.current;
    if (!p) return;
    // An emergency's media first: it airs now (rule 4), even on a unit with no plan yet.
    const urgent = p.emergency.wanted();
    if (!plan && !urgent.length) return;
    const planned = plan ? mediaNeeded(plan, p.clock.now(), (id) => p.record.has(id)) : [];
    await p.fetcher.setNeeded([...urgent, ...planned.filter((m) => !urgent.some((u) => u.sha256 === m.sha256))]);
    // File ages are wall-clock, whatever clock the scheduler runs on.
    await p.store.prune(this.keepSet(), PRUNE_AFTER_MS, Date.now()).catch(() => undefined);
  }

  private async publishStatus(): Promise<void> {
    const p = this.p;
    if (!p) return;
    const status: StatusMessage = {
      online: true,
      agentVersion: agentVersion(),
      scheduleVersion: p.plans.version,
      since: this.connectedSince ?? Date.now(),
    };
    await p.link.publishJson(topics.status(this.opts.config.unit), status, { qos: 1, retain: true });
  }
}
