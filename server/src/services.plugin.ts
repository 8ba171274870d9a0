// Builds the feature services once and wires them to the bus. Features talk to each other only
// through the small callbacks passed here, so the dependency picture stays visible in one file.
import { join } from 'node:path';
import fp from 'fastify-plugin';
import { unitsService, type UnitsService } from './units/units.service.js';
import { mediaService, type MediaService } from './media/media.service.js';
import { attachWants, mediaDistributor } from './media/distribution.js';
import { scheduleMediaSweep } from './media/retention.js';
import { ttsService, type TtsService } from './media/tts/tts.service.js';
import { findFfmpeg, FFMPEG_MISSING } from './media/ffmpeg.js';
import { communesService, type CommunesService } from './schedule/communes.service.js';
import { zonesService } from './schedule/zones.service.js';
import { timelineService } from './schedule/timeline.service.js';
import { scheduleJobs, startScheduleJobs } from './schedule/jobs.js';
import { bulletinsService, type BulletinsService } from './schedule/bulletins.service.js';
import { plansService, type PlansService } from './schedule/plans.service.js';
import { eventsService } from './events/events.service.js';
import { loadOrCreateSigner, type Signer } from './keys/signing-key.js';
import { Hub } from './hub.js';
import { alertsService, type AlertsService } from './alerts/alerts.service.js';
import { answerTimeProbes, watchUnitHealth } from './alerts/clock.js';
import { alertRules, type AlertRules } from './alerts/rules.js';
import { commandsService, type CommandsService } from './commands/commands.service.js';
import { enrollService, type EnrollService } from './enroll/enroll.service.js';
import { emergencyService, type EmergencyService } from './emergency/emergency.service.js';
import { liveService, type LiveService } from './live/live.service.js';

declare module 'fastify' {
  interface FastifyInstance {
    signer: Signer;
    /** What changed, for the dashboard socket, alerts and metrics. */
    hub: Hub;
    services: {
      units: UnitsService;
      media: MediaService;
      tts: TtsService;
      communes: CommunesService;
      zones: ReturnType<typeof zonesService>;
      timeline: ReturnType<typeof timelineService>;
      bulletins: BulletinsService;
      plans: PlansService;
      events: ReturnType<typeof eventsService>;
      distribution: ReturnType<typeof mediaDistributor>;
      alerts: AlertsService;
      alertRules: AlertRules;
      commands: CommandsService;
      enroll: EnrollService;
      emergency: EmergencyService;
      live: LiveService;
    };
  }
}

export default fp(
  async (app) => {
    const { db, bus, config } = app;
    const signer = loadOrCreateSigner(config.dataDir);
    app.decorate('signer', signer);
    const hub = new Hub((err, event) => app.log.error({ err, event }, 'hub: listener failed'));
    app.decorate('hub', hub);

    const tools = findFfmpeg();
    if (!tools) app.log.warn(`media: ${FFMPEG_MISSING} Until then uploads are refused.`);
    const mediaDir = join(config.dataDir, 'media');

    const plans = plansService(db, signer, bus, app.log.child({ name: 'plans' }), hub);
    const replan = (communeIds?: readonly string[]) => plans.schedule(undefined, communeIds);
    const units = unitsService(db, app.log.child({ name: 'units' }));
    const tts = ttsService(config.media.tts, config.maxUploadBytes);
    const media = mediaService({
      db,
      mediaDir,
      tools,
      config: config.media,
      hub,
      log: app.log.child({ name: 'media' }),
      tts,
    });
    const communes = communesService(db, replan);
    const zones = zonesService(db, communes, replan);
    const timeline = timelineService(db);
    const bulletins = bulletinsService(db, replan);
    const events = eventsService(db, app.log.child({ name: 'events' }));
    const distribution = mediaDistributor({
      bus,
      mediaDir,
      chunkBytes: config.chunkBytes,
      gatherMs: config.wantGatherMs,
      maxGatherMs: config.media.wantMaxGatherMs,
      resendAfterMs: config.media.resendAfterMs,
      // A round waits for the plans still going out: their units want the same media.
      holdWhile: plans.busy,
      sizeOf: media.sizeOf,
      unitExists: (id) => units.communeOf(id) !== undefined,
      log: app.log.child({ name: 'media' }),
    });

    const alerts = alertsService(db, hub);
    const commands = commandsService({ db, bus, signer, hub, log: app.log.child({ name: 'commands' }) });
    const enroll = enrollService(db, units, units.communeOf);
    const emergency = emergencyService({ db, bus, signer, media, hub, log: app.log.child({ name: 'emergency' }) });
    const live = liveService({
      db,
      bus,
      signer,
      hub,
      log: app.log.child({ name: 'live' }),
      audit: (action, session, detail) =>
        app.audit.record({ action, who: null, subject: session.id, communeId: session.communeId, detail }),
      idleMs: config.liveIdleMs,
    });
    commands.attach();
    answerTimeProbes(bus, app.log.child({ name: 'clock' }));
    const rules = alertRules(db, hub, alerts, units.communeOf, app.log.child({ name: 'alerts' }));
    watchUnitHealth(hub, alerts, rules.settingsOfUnit);

    communes.ensureDefault(config.timeZone);
    units.attach(bus, hub);
    events.attach(bus, (unitId, upTo, fresh) => {
      const at = Date.now();
      for (const event of fresh) hub.emit('unit-event', { unitId, event, at });
      hub.emit('events-stored', { unitId, upTo, at });
      // A unit started one of a bulletin's items: the bulletin is on air (DESIGN §4).
      bulletins.markOnAir(fresh.flatMap((e) => (e.type === 'started' && e.bulletinId ? [e.bulletinId] : [])));
    });
    attachWants(bus, app.embeddedBroker, distribution);

    app.decorate('services', {
      units,
      media,
      tts,
      communes,
      zones,
      timeline,
      bulletins,
      plans,
      events,
      distribution,
      alerts,
      alertRules: rules,
      commands,
      enroll,
      emergency,
      live,
    });
    media.start();
    const stopMediaSweep = scheduleMediaSweep(() => media.sweep(), config.timeZone, app.log.child({ name: 'media' }));
    // Issue #10: a broker that lost its retained plans (the embedded one at every start, an
    // external one restarted without persistence) gets every stored plan again, then the changes.
    await plans.republish();
    bus.onReconnect?.(() => void plans.republish().catch(() => undefined));
    await plans.replanAll(undefined, 'start');
    const jobsLog = app.log.child({ name: 'jobs' });
    const jobs = startScheduleJobs(scheduleJobs(plans, bulletins, jobsLog), config.timeZone, jobsLog);

    // onClose hooks of the root run last-registered first: these stop before the bus and the db.
    app.addHook('onClose', async () => {
      await live.close();
      commands.close();
      rules.stop();
      await jobs.stop();
      await plans.idle();
      await distribution.drain();
      await stopMediaSweep();
      await media.close();
      units.stop();
    });
  },
  { name: 'services', dependencies: ['db', 'broker'] },
);
