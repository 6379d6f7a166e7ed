// SPDX-License-Identifier: Apache-2.0
// The durable store: one SQLite file in WAL mode, schema versioned by
// numbered migrations that run in a transaction each at start-up.
import Database from 'better-sqlite3'
import fs from 'node:fs'
import path from 'node:path'

export type Db = Database.Database

interface Migration {
  version: number
  name: string
  sql: string
}

// Append only: a migration that has shipped is never edited, only followed.
const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'jobs, results, events, tokens',
    sql: `
      CREATE TABLE jobs (
        seq               INTEGER PRIMARY KEY AUTOINCREMENT,
        id                TEXT    NOT NULL UNIQUE,
        tenant_id         TEXT    NOT NULL,
        submitted_by      TEXT    NOT NULL,
        client_request_id TEXT,
        name              TEXT    NOT NULL DEFAULT '',
        backend           TEXT    NOT NULL,
        state             TEXT    NOT NULL
          CHECK (state IN ('QUEUED','RUNNING','SUCCEEDED','FAILED','CANCELLED')),
        format            TEXT    NOT NULL,
        source            TEXT    NOT NULL,
        source_sha256     TEXT    NOT NULL,
        num_qubits        INTEGER NOT NULL,
        num_clbits        INTEGER NOT NULL,
        gate_count        INTEGER NOT NULL,
        shots             INTEGER NOT NULL,
        seed              TEXT    NOT NULL,
        probabilities     INTEGER NOT NULL,
        priority          INTEGER NOT NULL DEFAULT 0,
        memory_bytes      INTEGER NOT NULL,
        attempts          INTEGER NOT NULL DEFAULT 0,
        created_at        INTEGER NOT NULL,
        started_at        INTEGER,
        finished_at       INTEGER,
        error             TEXT,
        cpus              TEXT,
        runner_pid        INTEGER
      );
      CREATE UNIQUE INDEX jobs_client_request ON jobs (tenant_id, client_request_id)
        WHERE client_request_id IS NOT NULL;
      CREATE INDEX jobs_state ON jobs (state, priority DESC, seq);
      CREATE TABLE job_results (
        job_id      TEXT PRIMARY KEY REFERENCES jobs (id),
        result_json TEXT    NOT NULL,
        created_at  INTEGER NOT NULL
      );
      CREATE TABLE job_events (
        seq     INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id  TEXT    NOT NULL REFERENCES jobs (id),
        state   TEXT    NOT NULL,
        time    INTEGER NOT NULL,
        message TEXT    NOT NULL DEFAULT ''
      );
      CREATE INDEX job_events_job ON job_events (job_id, seq);
      CREATE TABLE api_tokens (
        id         TEXT PRIMARY KEY,
        hash       TEXT    NOT NULL UNIQUE,
        user_id    TEXT    NOT NULL,
        tenant_id  TEXT    NOT NULL,
        role       TEXT    NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        revoked_at INTEGER
      );
    `,
  },
  {
    version: 3,
    name: 'scheduler: requested CPUs, NUMA node, allocations, host state',
    sql: `
      ALTER TABLE jobs ADD COLUMN requested_cpus INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE jobs ADD COLUMN numa_node INTEGER;
      CREATE TABLE allocations (
        job_id     TEXT PRIMARY KEY REFERENCES jobs (id),
        cpus       TEXT    NOT NULL,
        node       INTEGER NOT NULL,
        pid        INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        checksum   TEXT    NOT NULL
      );
      CREATE TABLE host_state (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
      CREATE TABLE host_events (
        seq    INTEGER PRIMARY KEY AUTOINCREMENT,
        time   INTEGER NOT NULL,
        actor  TEXT    NOT NULL,
        action TEXT    NOT NULL,
        detail TEXT    NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'tenants, users, audit chain, PHI access, job classification and quota charge',
    sql: `
      CREATE TABLE tenants (
        id            TEXT PRIMARY KEY,
        name          TEXT    NOT NULL,
        plan          TEXT    NOT NULL CHECK (plan IN ('free','professional','enterprise','research','custom')),
        subscription  TEXT    NOT NULL CHECK (subscription IN ('trial','active','suspended','canceled')),
        trial_ends_at INTEGER,
        hipaa_enabled INTEGER NOT NULL DEFAULT 0,
        baa_signed_at INTEGER,
        limits_json   TEXT    NOT NULL DEFAULT '{}',
        status_reason TEXT    NOT NULL DEFAULT '',
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL
      );
      INSERT INTO tenants (id, name, plan, subscription, hipaa_enabled, created_at, updated_at)
        VALUES ('system', 'System', 'custom', 'active', 1, CAST(unixepoch('subsec') * 1000 AS INTEGER), CAST(unixepoch('subsec') * 1000 AS INTEGER));
      CREATE TABLE users (
        tenant_id    TEXT    NOT NULL REFERENCES tenants (id),
        id           TEXT    NOT NULL,
        display_name TEXT    NOT NULL DEFAULT '',
        role         TEXT    NOT NULL,
        created_at   INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, id)
      );
      INSERT INTO users (tenant_id, id, display_name, role, created_at)
        VALUES ('system', 'admin', 'bootstrap admin', 'system_admin', CAST(unixepoch('subsec') * 1000 AS INTEGER));
      ALTER TABLE api_tokens ADD COLUMN name TEXT NOT NULL DEFAULT '';
      ALTER TABLE api_tokens ADD COLUMN issued_by TEXT NOT NULL DEFAULT '';
      CREATE INDEX api_tokens_tenant ON api_tokens (tenant_id, user_id);
      ALTER TABLE jobs ADD COLUMN classification TEXT NOT NULL DEFAULT 'public'
        CHECK (classification IN ('phi','de-identified','public'));
      ALTER TABLE jobs ADD COLUMN justification TEXT NOT NULL DEFAULT '';
      -- The UTC month (YYYY-MM) the job counts against; NULL when it was
      -- given back (cancelled before it started).
      ALTER TABLE jobs ADD COLUMN charged_period TEXT;
      CREATE INDEX jobs_charged ON jobs (tenant_id, charged_period) WHERE charged_period IS NOT NULL;
      CREATE TABLE audit_events (
        seq          INTEGER PRIMARY KEY,
        time         INTEGER NOT NULL,
        tenant_id    TEXT    NOT NULL,
        actor_user   TEXT    NOT NULL,
        actor_role   TEXT    NOT NULL,
        actor_tenant TEXT    NOT NULL,
        action       TEXT    NOT NULL,
        resource     TEXT    NOT NULL,
        resource_id  TEXT    NOT NULL,
        outcome      TEXT    NOT NULL,
        code         TEXT    NOT NULL,
        peer         TEXT    NOT NULL,
        details      TEXT    NOT NULL,
        prev_hash    TEXT    NOT NULL,
        hash         TEXT    NOT NULL
      );
      CREATE INDEX audit_events_tenant ON audit_events (tenant_id, seq);
      CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
        BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
      CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
        BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
      CREATE TABLE audit_heads (
        seq       INTEGER PRIMARY KEY AUTOINCREMENT,
        event_seq INTEGER NOT NULL,
        hash      TEXT    NOT NULL,
        key_id    TEXT    NOT NULL,
        signature TEXT    NOT NULL,
        reason    TEXT    NOT NULL,
        time      INTEGER NOT NULL
      );
      CREATE TRIGGER audit_heads_no_update BEFORE UPDATE ON audit_heads
        BEGIN SELECT RAISE(ABORT, 'audit_heads is append-only'); END;
      CREATE TRIGGER audit_heads_no_delete BEFORE DELETE ON audit_heads
        BEGIN SELECT RAISE(ABORT, 'audit_heads is append-only'); END;
      CREATE TABLE phi_access (
        seq           INTEGER PRIMARY KEY AUTOINCREMENT,
        time          INTEGER NOT NULL,
        tenant_id     TEXT    NOT NULL,
        user_id       TEXT    NOT NULL,
        role          TEXT    NOT NULL,
        job_id        TEXT    NOT NULL,
        justification TEXT    NOT NULL,
        peer          TEXT    NOT NULL,
        audit_seq     INTEGER NOT NULL
      );
      CREATE TRIGGER phi_access_no_update BEFORE UPDATE ON phi_access
        BEGIN SELECT RAISE(ABORT, 'phi_access is append-only'); END;
      CREATE TRIGGER phi_access_no_delete BEFORE DELETE ON phi_access
        BEGIN SELECT RAISE(ABORT, 'phi_access is append-only'); END;
    `,
  },
  {
    version: 5,
    name: 'placement read back: affinity, memory nodes, cpuset',
    sql: `
      ALTER TABLE jobs ADD COLUMN placement TEXT;
    `,
  },
  {
    // A number far from the others', so that it never meets a migration
    // written on another branch.
    version: 20,
    name: 'simulator precision per job',
    sql: `
      ALTER TABLE jobs ADD COLUMN precision TEXT NOT NULL DEFAULT 'double' CHECK (precision IN ('single','double'));
    `,
  },
]

export function openDb(file: string): Db {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
  // The store holds circuits, justifications and token hashes: owner only,
  // whatever the umask or the mode of a folder that already existed. SQLite
  // gives the -wal and -shm files it makes the database file's mode; ones
  // left by an earlier start are set here too.
  fs.closeSync(fs.openSync(file, 'a', 0o600))
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    if (fs.existsSync(f)) fs.chmodSync(f, 0o600)
  }
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  // FULL: a commit is on disk before SubmitJob answers, even across a power
  // cut, which is the promise an acknowledged job rests on.
  db.pragma('synchronous = FULL')
  db.pragma('foreign_keys = ON')
  db.pragma('busy_timeout = 5000')
  migrate(db)
  return db
}

function migrate(db: Db): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)')
  const applied = new Set((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version))
  const known = new Set(MIGRATIONS.map((m) => m.version))
  const unknown = [...applied].filter((v) => !known.has(v))
  if (unknown.length > 0) {
    throw new Error(`the store ${db.name} has schema migrations ${unknown.join(', ')} that this agent does not know; run a newer agent`)
  }
  // Each migration is applied once, by version, whatever order they were
  // written in: independent ones can land in either order.
  for (const m of [...MIGRATIONS].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue
    db.transaction(() => {
      db.exec(m.sql)
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now())
    })()
  }
}
