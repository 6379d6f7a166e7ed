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
]

export function openDb(file: string): Db {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
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
