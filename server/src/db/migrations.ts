// Numbered migrations, applied in order at start inside one transaction each. Never edit a
// migration that has shipped: add the next number.
export const migrations: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE communes (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        time_zone TEXT NOT NULL,
        windows TEXT NOT NULL,            -- JSON WindowSpec[] (local time)
        created_at INTEGER NOT NULL
      );
      CREATE TABLE villages (
        id TEXT PRIMARY KEY,
        commune_id TEXT NOT NULL REFERENCES communes(id),
        name TEXT NOT NULL
      );
      CREATE TABLE units (
        id TEXT PRIMARY KEY,
        commune_id TEXT NOT NULL REFERENCES communes(id),
        village_id TEXT REFERENCES villages(id),
        name TEXT NOT NULL,
        secret_hash TEXT NOT NULL,        -- sha256 of a random 256-bit secret (see units.service.ts)
        created_at INTEGER NOT NULL,
        online INTEGER NOT NULL DEFAULT 0,
        status_since INTEGER,
        last_seen INTEGER,
        agent_version TEXT,
        reported_plan_version INTEGER,
        events_acked INTEGER NOT NULL DEFAULT 0,
        last_telemetry TEXT               -- JSON of the latest sample
      );
      CREATE TABLE zones (
        id TEXT PRIMARY KEY,
        commune_id TEXT NOT NULL REFERENCES communes(id),
        name TEXT NOT NULL,
        windows TEXT                      -- JSON WindowSpec[] overriding the commune's, or NULL
      );
      CREATE TABLE zone_units (
        zone_id TEXT NOT NULL REFERENCES zones(id) ON DELETE CASCADE,
        unit_id TEXT NOT NULL REFERENCES units(id) ON DELETE CASCADE,
        PRIMARY KEY (zone_id, unit_id)
      );
      CREATE TABLE media (
        sha256 TEXT PRIMARY KEY,          -- of the normalized file's bytes
        bytes INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL,
        codec TEXT NOT NULL,
        original_name TEXT,               -- shown to people, never used as a path
        original_sha256 TEXT NOT NULL,
        original_bytes INTEGER NOT NULL,
        original_format TEXT,
        created_at INTEGER NOT NULL,
        created_by INTEGER REFERENCES users(id)
      );
      CREATE TABLE bulletins (
        id TEXT PRIMARY KEY,
        commune_id TEXT NOT NULL REFERENCES communes(id),
        title TEXT NOT NULL,
        text TEXT,
        level TEXT NOT NULL CHECK (level IN ('ordinary','priority','emergency')),
        media_sha256 TEXT REFERENCES media(sha256),
        state TEXT NOT NULL CHECK (state IN ('draft','submitted','approved','on_air','expired','withdrawn','rejected')),
        targets TEXT NOT NULL,            -- JSON {commune, zoneIds, unitIds}
        recurrence TEXT NOT NULL,         -- JSON {days, windowIds?, pinnedTimes?}
        repeat_count INTEGER NOT NULL DEFAULT 1,
        repeat_gap_s INTEGER NOT NULL DEFAULT 0,
        valid_from INTEGER NOT NULL,
        valid_until INTEGER NOT NULL,
        volume INTEGER NOT NULL DEFAULT 80,
        created_by INTEGER REFERENCES users(id),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        submitted_at INTEGER,
        approved_at INTEGER,
        approved_by INTEGER REFERENCES users(id),
        rejected_reason TEXT
      );
      CREATE INDEX bulletins_state ON bulletins(state, commune_id);
      CREATE TABLE plans (
        unit_id TEXT PRIMARY KEY REFERENCES units(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        content_hash TEXT NOT NULL,
        body TEXT NOT NULL,
        envelope TEXT NOT NULL,
        published_at INTEGER NOT NULL
      );
      CREATE TABLE unit_events (
        unit_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        at INTEGER NOT NULL,
        type TEXT NOT NULL,
        item_id TEXT,
        bulletin_id TEXT,
        sha256 TEXT,
        plan_version INTEGER,
        scheduled_at INTEGER,
        duration_ms INTEGER,
        reason TEXT,
        received_at INTEGER NOT NULL,
        PRIMARY KEY (unit_id, seq)
      );
      CREATE TABLE play_log (
        id INTEGER PRIMARY KEY,
        unit_id TEXT NOT NULL,
        item_id TEXT NOT NULL,
        bulletin_id TEXT,
        sha256 TEXT,
        plan_version INTEGER,
        scheduled_at INTEGER,
        started_at INTEGER,
        ended_at INTEGER,
        duration_ms INTEGER,
        outcome TEXT NOT NULL,            -- playing, finished, preempted, failed, skipped, refused
        reason TEXT,
        UNIQUE (unit_id, item_id)
      );
      CREATE INDEX play_log_unit_time ON play_log(unit_id, scheduled_at);
      CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin','editor','approver','technician','viewer')),
        created_at INTEGER NOT NULL
      );
      CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        user_id INTEGER,
        action TEXT NOT NULL,
        subject TEXT,
        detail TEXT
      );
    `,
  },
  {
    version: 2,
    name: 'quiet hours per commune',
    sql: `ALTER TABLE communes ADD COLUMN quiet_hours TEXT;  -- JSON {start, end} local, or NULL`,
  },
  {
    version: 3,
    name: 'accounts: commune scopes, revocable sessions with CSRF, API tokens',
    sql: `
      ALTER TABLE users ADD COLUMN commune_ids TEXT;          -- JSON string[], or NULL = every commune
      ALTER TABLE users ADD COLUMN deleted_at INTEGER;        -- kept for the audit trail, never signs in
      ALTER TABLE users ADD COLUMN password_changed_at INTEGER;
      ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
      -- Sessions of before this migration carry no CSRF token: sign everyone in again.
      DELETE FROM sessions;
      ALTER TABLE sessions ADD COLUMN csrf_hash TEXT NOT NULL DEFAULT '';
      ALTER TABLE sessions ADD COLUMN last_seen_at INTEGER;
      CREATE INDEX sessions_user ON sessions(user_id);
      CREATE TABLE api_tokens (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id),
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,  -- sha256 of the token; the token is shown once
        permissions TEXT NOT NULL,        -- JSON Permission[], never more than the owner's role
        commune_ids TEXT,                 -- JSON string[], or NULL = the owner's scope
        created_by INTEGER REFERENCES users(id),
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        last_used_at INTEGER,
        revoked_at INTEGER
      );
    `,
  },
  {
    version: 4,
    name: 'audit who/where, unit secret rotation and revocation',
    sql: `
      ALTER TABLE audit_log ADD COLUMN username TEXT;         -- as it was then: accounts get renamed/deleted
      ALTER TABLE audit_log ADD COLUMN via TEXT;              -- session, token:<id>, system
      ALTER TABLE audit_log ADD COLUMN commune_id TEXT;       -- where
      ALTER TABLE audit_log ADD COLUMN ip TEXT;
      CREATE INDEX audit_log_at ON audit_log(at);
      CREATE INDEX audit_log_commune ON audit_log(commune_id, at);
      ALTER TABLE units ADD COLUMN mqtt_password_hash TEXT;   -- Mosquitto $7$ PBKDF2-SHA512 of the secret (scripts/broker)
      ALTER TABLE units ADD COLUMN secret_rotated_at INTEGER;
      ALTER TABLE units ADD COLUMN revoked_at INTEGER;
    `,
  },
  {
    version: 9,
    name: 'telemetry history: raw samples and 5-minute averages',
    sql: `
      CREATE TABLE telemetry_raw (
        unit_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        load1 REAL, cpu_temp_c REAL, mem_free_bytes INTEGER, disk_free_bytes INTEGER,
        cache_bytes INTEGER, clock_offset_ms REAL, volume INTEGER, amplifier_on INTEGER
      );
      CREATE INDEX telemetry_raw_unit_at ON telemetry_raw(unit_id, at);
      CREATE INDEX telemetry_raw_at ON telemetry_raw(at);
      CREATE TABLE telemetry_5m (
        unit_id TEXT NOT NULL,
        bucket INTEGER NOT NULL,          -- start of the 5-minute bucket, ms
        samples INTEGER NOT NULL,
        load1 REAL, cpu_temp_c REAL, mem_free_bytes REAL, disk_free_bytes REAL,
        cache_bytes REAL, clock_offset_ms REAL, volume REAL, amplifier_on REAL,
        PRIMARY KEY (unit_id, bucket)
      );
    `,
  },
  {
    version: 10,
    name: 'planned items, the "planned" side of as-run reports',
    sql: `
      CREATE TABLE planned_items (
        unit_id TEXT NOT NULL,
        item_id TEXT NOT NULL,
        bulletin_id TEXT NOT NULL,
        scheduled_at INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL,
        level TEXT NOT NULL,
        plan_version INTEGER NOT NULL,
        PRIMARY KEY (unit_id, item_id)
      );
      CREATE INDEX planned_items_time ON planned_items(scheduled_at);
    `,
  },
  {
    version: 7,
    name: 'media pipeline: loudness figures, TTS text, retention, ingest jobs',
    sql: `
      ALTER TABLE media ADD COLUMN content TEXT NOT NULL DEFAULT 'speech';  -- speech | music: the Opus bitrate
      ALTER TABLE media ADD COLUMN source TEXT NOT NULL DEFAULT 'upload';   -- upload | tts
      ALTER TABLE media ADD COLUMN recipe TEXT;             -- processing settings; same original + recipe = same media
      ALTER TABLE media ADD COLUMN input_lufs REAL;         -- integrated loudness of the mono downmix
      ALTER TABLE media ADD COLUMN input_lra REAL;
      ALTER TABLE media ADD COLUMN input_peak_dbfs REAL;    -- sample peak
      ALTER TABLE media ADD COLUMN output_lufs REAL;        -- measured on the stored Opus file
      ALTER TABLE media ADD COLUMN output_true_peak_dbtp REAL;
      ALTER TABLE media ADD COLUMN gain_db REAL;
      ALTER TABLE media ADD COLUMN source_duration_ms INTEGER;
      ALTER TABLE media ADD COLUMN trimmed_start_ms INTEGER;
      ALTER TABLE media ADD COLUMN trimmed_end_ms INTEGER;
      ALTER TABLE media ADD COLUMN tts_text TEXT;           -- the text a TTS media was made from
      ALTER TABLE media ADD COLUMN tts_voice TEXT;
      ALTER TABLE media ADD COLUMN last_used_at INTEGER;    -- last seen referenced (retention sweep)
      CREATE INDEX media_original ON media(original_sha256, recipe);
      CREATE TABLE media_jobs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('upload', 'tts')),
        state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
        percent INTEGER NOT NULL DEFAULT 0,
        upload TEXT,                      -- random file name under media/uploads, never the client's
        original_name TEXT,               -- shown to people, never used as a path
        original_sha256 TEXT,
        original_bytes INTEGER,
        original_format TEXT,
        content TEXT NOT NULL,
        tts_text TEXT,
        tts_voice TEXT,
        media_sha256 TEXT,
        error_status INTEGER,
        error_code TEXT,
        error_message TEXT,
        created_by INTEGER,
        created_at INTEGER NOT NULL,
        started_at INTEGER,
        finished_at INTEGER
      );
      CREATE INDEX media_jobs_state ON media_jobs(state, created_at);
    `,
  },
  {
    version: 5,
    name: 'unit commands: signed, acknowledged, with an expiry',
    sql: `
      CREATE TABLE unit_commands (
        id TEXT PRIMARY KEY,
        unit_id TEXT NOT NULL REFERENCES units(id) ON DELETE CASCADE,
        type TEXT NOT NULL,
        args TEXT NOT NULL,               -- JSON object
        state TEXT NOT NULL CHECK (state IN ('pending','acked','failed','expired')),
        error TEXT,
        issued_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        acked_at INTEGER,
        issued_by INTEGER,                -- users.id, or NULL for the system
        envelope TEXT NOT NULL            -- as signed: sent again when the unit comes back online
      );
      CREATE INDEX unit_commands_unit ON unit_commands(unit_id, issued_at);
      CREATE INDEX unit_commands_pending ON unit_commands(state, expires_at);
    `,
  },
  {
    version: 6,
    name: 'one-time enrollment tokens, and the alerts store',
    sql: `
      CREATE TABLE enrollment_tokens (
        id TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,  -- sha256 of the token; the token is shown once
        unit_id TEXT,                     -- enroll as this unit (new or existing), or NULL: a new id
        name TEXT NOT NULL,
        commune_id TEXT,
        created_by INTEGER,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER,
        used_by_unit TEXT
      );
      CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        unit_id TEXT,                     -- NULL: about the server itself
        kind TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('raised','cleared')),
        message TEXT NOT NULL,
        raised_at INTEGER NOT NULL,
        cleared_at INTEGER,
        detail TEXT                       -- JSON
      );
      -- At most one raised alert of a kind per unit: raising again updates it.
      CREATE UNIQUE INDEX alerts_open ON alerts(COALESCE(unit_id, ''), kind) WHERE state = 'raised';
      CREATE INDEX alerts_time ON alerts(raised_at);
    `,
  },
  {
    version: 13,
    name: 'alert thresholds and webhook per commune',
    sql: `ALTER TABLE communes ADD COLUMN alert_settings TEXT;  -- JSON AlertSettings, or NULL for the defaults`,
  },
  {
    version: 14,
    name: 'emergency broadcasts',
    sql: `
      CREATE TABLE emergencies (
        id TEXT PRIMARY KEY,
        commune_id TEXT NOT NULL REFERENCES communes(id),
        title TEXT,
        sha256 TEXT NOT NULL,
        duration_ms INTEGER NOT NULL,
        targets TEXT NOT NULL,            -- JSON {commune, zoneIds, unitIds} as asked
        repeat INTEGER NOT NULL,
        volume INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        valid_until INTEGER NOT NULL,
        created_by INTEGER
      );
      CREATE INDEX emergencies_time ON emergencies(created_at);
      -- One signed command per targeted unit (unit_commands), tied back to its emergency.
      CREATE TABLE emergency_units (
        emergency_id TEXT NOT NULL REFERENCES emergencies(id),
        unit_id TEXT NOT NULL,
        command_id TEXT NOT NULL,
        PRIMARY KEY (emergency_id, unit_id)
      );
    `,
  },
  {
    version: 15,
    name: 'relay bulletins',
    sql: `
      -- A relay (tiếp sóng): units pull this stream for this long instead of a stored media.
      ALTER TABLE bulletins ADD COLUMN relay_url TEXT;
      ALTER TABLE bulletins ADD COLUMN relay_duration_ms INTEGER;
    `,
  },
  {
    version: 16,
    name: 'emergency stop',
    sql: `
      -- Stopped early by a person (issue #8): the units got a signed stop for it.
      ALTER TABLE emergencies ADD COLUMN stopped_at INTEGER;
      ALTER TABLE emergencies ADD COLUMN stopped_by INTEGER;
    `,
  },
  {
    version: 17,
    name: 'published plan version by unit',
    sql: `
      -- GET /api/units reads each unit's published plan version (issue #10): from this index, not
      -- from rows holding whole plans, it costs a third of the time for 5,000 units.
      CREATE INDEX plans_unit_version ON plans(unit_id, version);
    `,
  },
  {
    version: 18,
    name: 'telemetry averaged until',
    sql: `
      -- Where the 5-minute averages end (issue #10): each run averages only the buckets completed
      -- since, not the whole 48 h of raw samples again (minutes of work for a province's fleet).
      CREATE TABLE telemetry_averaged (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        until INTEGER NOT NULL
      );
    `,
  },
];
