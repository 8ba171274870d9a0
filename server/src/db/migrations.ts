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
];
