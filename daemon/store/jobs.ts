// SPDX-License-Identifier: Apache-2.0
// The job table and its transitions. Each transition is one transaction that
// checks the state it leaves, writes the new one and records an event, so a
// job's history is exactly its rows in job_events.
import { createHash, randomUUID } from 'node:crypto'
import type { Db } from './db'

export const JOB_STATES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const
export type JobState = (typeof JOB_STATES)[number]
export const TERMINAL_STATES: ReadonlySet<JobState> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED'])

export interface JobRow {
  seq: number
  id: string
  tenant_id: string
  submitted_by: string
  client_request_id: string | null
  name: string
  backend: string
  state: JobState
  format: string
  source: string
  source_sha256: string
  num_qubits: number
  num_clbits: number
  gate_count: number
  shots: number
  /** Unsigned 64-bit, as decimal text: SQLite integers are signed. */
  seed: string
  probabilities: number
  priority: number
  memory_bytes: number
  attempts: number
  created_at: number
  /** Null exactly until the job first goes RUNNING. */
  started_at: number | null
  /** Null exactly while the job is QUEUED or RUNNING. */
  finished_at: number | null
  /** Set exactly when the job FAILED or was CANCELLED. */
  error: string | null
  /** JSON array of the CPUs read back from the runner; null until placed. */
  cpus: string | null
  /** The live runner's pid while RUNNING on the local backend. */
  runner_pid: number | null
  /** CPUs the submitter asked for; 0: the scheduler's default for the size. */
  requested_cpus: number
  /** The simulator's amplitude type: complex 'double' or 'single'. */
  precision: 'single' | 'double'
  /** NUMA node of the last placement; -1 when it spanned nodes; null until placed. */
  numa_node: number | null
  /** JSON of the last placement as the kernel reported it (Placement in backends/local.ts); null until placed. */
  placement: string | null
  classification: 'phi' | 'de-identified' | 'public'
  justification: string
  /** The UTC month (YYYY-MM) the job counts against; null once given back. */
  charged_period: string | null
}

export type NewJob = Omit<
  JobRow,
  'seq' | 'id' | 'state' | 'attempts' | 'created_at' | 'started_at' | 'finished_at' | 'error' | 'cpus' | 'runner_pid' | 'numa_node' | 'placement'
>

export interface AllocationRecord {
  job_id: string
  cpus: number[]
  node: number
  pid: number
  /** False when the stored checksum does not match the row. */
  valid: boolean
}

function allocationChecksum(jobId: string, cpus: string, node: number, pid: number): string {
  return createHash('sha256').update(`${jobId}|${cpus}|${node}|${pid}`).digest('hex')
}

export interface JobEventRow {
  seq: number
  job_id: string
  state: JobState
  time: number
  message: string
}

export interface ListQuery {
  tenantId?: string
  submittedBy?: string
  classifications?: string[]
  states?: JobState[]
  limit: number
  /** Rows with seq below this, for newest-first paging. */
  beforeSeq?: number
}

export class JobStore {
  private readonly db: Db
  private readonly getStmt
  private readonly byRequestStmt
  private readonly insertStmt
  private readonly eventStmt

  constructor(db: Db, private readonly now: () => number = Date.now) {
    this.db = db
    this.getStmt = db.prepare('SELECT * FROM jobs WHERE id = ?')
    this.byRequestStmt = db.prepare('SELECT * FROM jobs WHERE tenant_id = ? AND client_request_id = ?')
    this.insertStmt = db.prepare(`
      INSERT INTO jobs (id, tenant_id, submitted_by, client_request_id, name, backend, state, format, source,
        source_sha256, num_qubits, num_clbits, gate_count, shots, seed, probabilities, priority, memory_bytes,
        requested_cpus, precision, created_at, classification, justification, charged_period)
      VALUES (@id, @tenant_id, @submitted_by, @client_request_id, @name, @backend, 'QUEUED', @format, @source,
        @source_sha256, @num_qubits, @num_clbits, @gate_count, @shots, @seed, @probabilities, @priority,
        @memory_bytes, @requested_cpus, @precision, @created_at, @classification, @justification, @charged_period)`)
    this.eventStmt = db.prepare('INSERT INTO job_events (job_id, state, time, message) VALUES (?, ?, ?, ?)')
  }

  get(id: string): JobRow | undefined {
    return this.getStmt.get(id) as JobRow | undefined
  }

  byClientRequest(tenantId: string, requestId: string): JobRow | undefined {
    return this.byRequestStmt.get(tenantId, requestId) as JobRow | undefined
  }

  /**
   * Inserts a QUEUED job, or returns the tenant's job with the same
   * client_request_id. Returns only after the commit. `afterInsert` runs
   * inside the transaction with the new row in place (quota check, audit
   * event); if it throws, nothing is committed.
   */
  insert(job: NewJob, afterInsert?: (job: JobRow) => void): { job: JobRow; existing: boolean } {
    return this.db.transaction(() => {
      if (job.client_request_id) {
        const found = this.byRequestStmt.get(job.tenant_id, job.client_request_id) as JobRow | undefined
        if (found) return { job: found, existing: true }
      }
      const id = randomUUID()
      const t = this.now()
      this.insertStmt.run({ ...job, id, created_at: t })
      this.eventStmt.run(id, 'QUEUED', t, 'submitted')
      const row = this.get(id)!
      afterInsert?.(row)
      return { job: row, existing: false }
    }).immediate()
  }

  /**
   * Moves a job from one of `from` to `to`, with extra column values, and
   * records the event. Undefined when the job was not in one of `from`.
   */
  transition(
    id: string,
    from: readonly JobState[],
    to: JobState,
    message: string,
    fields: Partial<Pick<JobRow, 'started_at' | 'finished_at' | 'error' | 'cpus' | 'runner_pid' | 'attempts' | 'charged_period'>> = {},
    result?: string,
  ): JobRow | undefined {
    return this.db.transaction(() => {
      const cur = this.get(id)
      if (!cur || !from.includes(cur.state)) return undefined
      const t = this.now()
      const set: Record<string, unknown> = { ...fields, state: to }
      if (TERMINAL_STATES.has(to)) {
        set.finished_at = t
        set.runner_pid = null
      }
      // An allocation lives exactly as long as the job is RUNNING.
      if (to !== 'RUNNING') this.db.prepare('DELETE FROM allocations WHERE job_id = ?').run(id)
      const cols = Object.keys(set)
      this.db.prepare(`UPDATE jobs SET ${cols.map((c) => `${c} = @${c}`).join(', ')} WHERE id = @id`).run({ ...set, id })
      if (result !== undefined) {
        this.db.prepare('INSERT INTO job_results (job_id, result_json, created_at) VALUES (?, ?, ?)').run(id, result, t)
      }
      this.eventStmt.run(id, to, t, message)
      return this.get(id)
    }).immediate()
  }

  /**
   * Records where a RUNNING job's runner is, without changing its state,
   * and the allocation with a checksum, in one transaction.
   */
  setPlacement(id: string, cpus: number[], pid: number, node: number, placement: object): void {
    const text = JSON.stringify(cpus)
    this.db.transaction(() => {
      const r = this.db
        .prepare("UPDATE jobs SET cpus = ?, runner_pid = ?, numa_node = ?, placement = ? WHERE id = ? AND state = 'RUNNING'")
        .run(text, pid, node, JSON.stringify(placement), id)
      if (r.changes === 0) return
      this.db
        .prepare('INSERT OR REPLACE INTO allocations (job_id, cpus, node, pid, created_at, checksum) VALUES (?, ?, ?, ?, ?, ?)')
        .run(id, text, node, pid, this.now(), allocationChecksum(id, text, node, pid))
    }).immediate()
  }

  allocations(): AllocationRecord[] {
    const rows = this.db.prepare('SELECT * FROM allocations ORDER BY created_at').all() as {
      job_id: string
      cpus: string
      node: number
      pid: number
      checksum: string
    }[]
    return rows.map((r) => {
      let cpus: number[] = []
      try {
        cpus = JSON.parse(r.cpus) as number[]
      } catch {
        // A damaged row: the checksum below fails too.
      }
      return { job_id: r.job_id, cpus, node: r.node, pid: r.pid, valid: allocationChecksum(r.job_id, r.cpus, r.node, r.pid) === r.checksum }
    })
  }

  dropAllocation(jobId: string): void {
    this.db.prepare('DELETE FROM allocations WHERE job_id = ?').run(jobId)
  }

  list(q: ListQuery): JobRow[] {
    const where: string[] = []
    const args: unknown[] = []
    if (q.tenantId !== undefined) {
      where.push('tenant_id = ?')
      args.push(q.tenantId)
    }
    if (q.submittedBy !== undefined) {
      where.push('submitted_by = ?')
      args.push(q.submittedBy)
    }
    if (q.classifications) {
      where.push(`classification IN (${q.classifications.map(() => '?').join(', ') || "''"})`)
      args.push(...q.classifications)
    }
    if (q.states && q.states.length > 0) {
      where.push(`state IN (${q.states.map(() => '?').join(', ')})`)
      args.push(...q.states)
    }
    if (q.beforeSeq !== undefined) {
      where.push('seq < ?')
      args.push(q.beforeSeq)
    }
    const sql = `SELECT * FROM jobs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY seq DESC LIMIT ?`
    return this.db.prepare(sql).all(...args, q.limit) as JobRow[]
  }

  /** Queued jobs in the order they should start: priority, then age. */
  queued(limit: number): JobRow[] {
    return this.db
      .prepare("SELECT * FROM jobs WHERE state = 'QUEUED' ORDER BY priority DESC, seq LIMIT ?")
      .all(limit) as JobRow[]
  }

  running(): JobRow[] {
    return this.db.prepare("SELECT * FROM jobs WHERE state = 'RUNNING' ORDER BY seq").all() as JobRow[]
  }

  /** CPU time of the jobs that ended at or after `since`: the fair share's history. */
  cpuTimeSince(since: number): { tenantId: string; cpuSeconds: number; endedAt: number }[] {
    const rows = this.db
      .prepare('SELECT tenant_id, cpus, started_at, finished_at FROM jobs WHERE finished_at >= ? AND started_at IS NOT NULL AND cpus IS NOT NULL')
      .all(since) as { tenant_id: string; cpus: string; started_at: number; finished_at: number }[]
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      cpuSeconds: ((JSON.parse(r.cpus) as number[]).length * Math.max(0, r.finished_at - r.started_at)) / 1000,
      endedAt: r.finished_at,
    }))
  }

  countsByState(): Record<JobState, number> {
    const out = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>
    for (const r of this.db.prepare('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state').all() as { state: JobState; n: number }[]) {
      out[r.state] = r.n
    }
    return out
  }

  result(id: string): string | undefined {
    const r = this.db.prepare('SELECT result_json FROM job_results WHERE job_id = ?').get(id) as { result_json: string } | undefined
    return r?.result_json
  }

  events(id: string): JobEventRow[] {
    return this.db.prepare('SELECT * FROM job_events WHERE job_id = ? ORDER BY seq').all(id) as JobEventRow[]
  }
}
