// SPDX-License-Identifier: Apache-2.0
// The job lifecycle: admission, the durable insert, scheduling onto free
// CPUs, running, cancelling, restart recovery and draining. Every state
// change goes through JobStore.transition and is then announced on the
// emitter, which is what WatchJob streams.
import { EventEmitter } from 'node:events'
import { seesAllTenants, type Principal } from '../auth'
import { toRunnerInput } from '../circuit/ir'
import type { Config } from '../config'
import { AgentError } from '../errors'
import type { Logger } from '../log'
import { GIT_COMMIT, AGENT_VERSION } from '../version'
import { LocalRun, type RunnerOutput } from '../backends/local'
import { processMatches } from '../backends/proc'
import { JobStore, TERMINAL_STATES, type JobRow, type JobState } from '../store/jobs'
import { admit, compileCircuit, type SubmitFields } from './admission'

const MAX_PAGE_SIZE = 500
const DEFAULT_PAGE_SIZE = 50
const KILL_WAIT_MS = 5_000

export interface JobResultDoc {
  counts: Record<string, number>
  probabilities: Record<string, unknown> | null
  stats: RunnerOutput['stats']
  reproducibility: {
    agent_version: string
    git_commit: string
    simulator: string
    compiler: string
    flags: string
    simd: string
    seed: string
    cpus: number[]
    thread_cpus: number[]
    mems: string
    threads: number
    source_sha256: string
  }
}

interface Running {
  run: LocalRun
  cpus: number[]
  /** Why the daemon itself killed the runner; null when it did not. */
  killedFor: 'cancel' | 'shutdown' | null
}

export interface ManagerOptions {
  store: JobStore
  config: Config
  log: Logger
  runnerPath: string
  /** CPUs jobs may run on, one job per CPU. */
  cpus: number[]
  memoryLimitBytes: number
}

export class JobManager extends EventEmitter {
  readonly store: JobStore
  private readonly config: Config
  private readonly log: Logger
  private readonly runnerPath: string
  readonly cpus: readonly number[]
  readonly memoryLimitBytes: number
  /** CPU -> job id, exactly for the CPUs whose runner is alive. */
  private readonly busy = new Map<number, string>()
  private readonly running = new Map<string, Running>()
  private draining = false
  private scheduling = false

  constructor(o: ManagerOptions) {
    super()
    this.setMaxListeners(0)
    this.store = o.store
    this.config = o.config
    this.log = o.log
    this.runnerPath = o.runnerPath
    this.cpus = [...o.cpus].sort((a, b) => a - b)
    this.memoryLimitBytes = o.memoryLimitBytes
  }

  get isDraining(): boolean {
    return this.draining
  }

  cpuHolders(): ReadonlyMap<number, string> {
    return this.busy
  }

  runningIds(): string[] {
    return [...this.running.keys()]
  }

  /**
   * Jobs a dead daemon left RUNNING go back to the queue; a runner that
   * outlived it is killed first so that it cannot hold a CPU twice.
   */
  recover(): void {
    for (const job of this.store.running()) {
      if (job.runner_pid && processMatches(job.runner_pid, 'z3bra-sim')) {
        try {
          process.kill(job.runner_pid, 'SIGKILL')
        } catch {
          // Already gone between the check and the kill.
        }
      }
      const back = this.store.transition(job.id, ['RUNNING'], 'QUEUED', 'requeued: the daemon running it stopped', {
        cpus: null,
        runner_pid: null,
      })
      if (back) this.log.warn({ job_id: job.id, attempts: job.attempts }, 'requeued a job left running')
    }
  }

  submit(p: Principal, f: SubmitFields): { job: JobRow; existing: boolean } {
    if (this.draining) {
      throw new AgentError('Z3_DRAINING', 'This host is draining and takes no new jobs; submit to another host.')
    }
    // An idempotent repeat answers before the circuit is parsed again.
    if (f.clientRequestId) {
      const found = this.store.byClientRequest(p.tenantId, f.clientRequestId)
      if (found) return { job: found, existing: true }
    }
    const a = admit(f, this.config, this.memoryLimitBytes)
    const out = this.store.insert({
      tenant_id: p.tenantId,
      submitted_by: p.userId,
      client_request_id: f.clientRequestId || null,
      name: f.name ?? '',
      backend: a.backend,
      format: a.format,
      source: f.source,
      source_sha256: a.sourceSha256,
      num_qubits: a.circuit.numQubits,
      num_clbits: a.circuit.numClbits,
      gate_count: a.circuit.gateCount,
      shots: f.shots,
      seed: a.seed.toString(),
      probabilities: f.probabilities ? 1 : 0,
      priority: f.priority ?? 0,
      memory_bytes: a.memoryBytes,
    })
    if (!out.existing) {
      this.log.info({ job_id: out.job.id, tenant_id: p.tenantId, qubits: a.circuit.numQubits, shots: f.shots }, 'job queued')
      this.emit('job', out.job)
      setImmediate(() => this.schedule())
    }
    return out
  }

  /** A job the caller may see; another tenant's job does not exist for them. */
  get(p: Principal, id: string): JobRow {
    const job = typeof id === 'string' && id ? this.store.get(id) : undefined
    if (!job || (!seesAllTenants(p) && job.tenant_id !== p.tenantId)) {
      throw new AgentError('Z3_NOT_FOUND', `Job "${id}" was not found.`)
    }
    return job
  }

  list(p: Principal, pageSize: number, pageToken: string, states: JobState[]): { jobs: JobRow[]; next: string } {
    const size = pageSize === 0 ? DEFAULT_PAGE_SIZE : pageSize
    if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
      throw new AgentError('Z3_INVALID_ARGUMENT', `page_size must be from 1 to ${MAX_PAGE_SIZE}; got ${pageSize}.`)
    }
    let beforeSeq: number | undefined
    if (pageToken) {
      const m = /^s(\d+)$/.exec(Buffer.from(pageToken, 'base64url').toString('utf8'))
      if (!m) throw new AgentError('Z3_INVALID_ARGUMENT', 'page_token is not one ListJobs handed out.')
      beforeSeq = Number(m[1])
    }
    const rows = this.store.list({
      tenantId: seesAllTenants(p) ? undefined : p.tenantId,
      states,
      limit: size + 1,
      beforeSeq,
    })
    const jobs = rows.slice(0, size)
    const next = rows.length > size ? Buffer.from(`s${jobs[jobs.length - 1].seq}`).toString('base64url') : ''
    return { jobs, next }
  }

  cancel(p: Principal, id: string, reason: string): JobRow {
    const job = this.get(p, id)
    if (job.state === 'CANCELLED') return job
    if (TERMINAL_STATES.has(job.state)) {
      throw new AgentError('Z3_JOB_ENDED', `Job "${id}" has already ended (${job.state}); there is nothing to cancel.`)
    }
    const why = `cancelled by ${p.userId}${reason ? `: ${reason}` : ''}`
    const done = this.store.transition(id, ['QUEUED', 'RUNNING'], 'CANCELLED', why, { error: why })
    if (!done) return this.get(p, id) // It ended meanwhile; report how.
    const r = this.running.get(id)
    if (r) {
      r.killedFor = 'cancel'
      r.run.kill('SIGKILL')
    }
    this.log.info({ job_id: id, user_id: p.userId }, 'job cancelled')
    this.emit('job', done)
    return done
  }

  result(p: Principal, id: string): JobResultDoc {
    const job = this.get(p, id)
    if (job.state !== 'SUCCEEDED') {
      throw new AgentError('Z3_RESULT_NOT_READY', `Job "${id}" is ${job.state}; only a SUCCEEDED job has a result.`)
    }
    const text = this.store.result(id)
    if (!text) throw new AgentError('Z3_INTERNAL', `Job "${id}" succeeded but its result is missing from the store.`)
    return JSON.parse(text) as JobResultDoc
  }

  /** Starts queued jobs while CPUs are free. */
  schedule(): void {
    if (this.scheduling) return
    this.scheduling = true
    try {
      while (!this.draining) {
        const free = this.cpus.find((c) => !this.busy.has(c))
        if (free === undefined) break
        const [next] = this.store.queued(1)
        if (!next) break
        this.start(next, [free])
      }
    } finally {
      this.scheduling = false
    }
  }

  private start(job: JobRow, cpus: number[]): void {
    const started = this.store.transition(job.id, ['QUEUED'], 'RUNNING', `started on CPUs ${cpus.join(',')}`, {
      started_at: Date.now(),
      attempts: job.attempts + 1,
    })
    if (!started) return
    for (const c of cpus) this.busy.set(c, job.id)
    const run = new LocalRun(this.runnerPath)
    const entry: Running = { run, cpus, killedFor: null }
    this.running.set(job.id, entry)
    const jlog = this.log.child({ job_id: job.id })
    void this.drive(started, entry, jlog)
  }

  private async drive(job: JobRow, r: Running, jlog: Logger): Promise<void> {
    let failure: string | null = null
    try {
      const pid = await r.run.spawned()
      const placed = r.run.pin(r.cpus)
      this.store.setPlacement(job.id, placed.cpus, pid)
      const circuit = compileCircuit(job.source, this.config)
      r.run.feed(
        toRunnerInput(circuit, { shots: job.shots, seed: BigInt(job.seed), probabilities: job.probabilities === 1, threads: 0 }),
      )
      jlog.info({ pid, cpus: placed.cpus, attempt: job.attempts }, 'job running')
      this.emit('job', this.store.get(job.id))
    } catch (err) {
      failure = `the job could not be started: ${(err as Error).message}`
      r.run.kill('SIGKILL')
    }
    const end = await r.run.wait()
    for (const c of r.cpus) this.busy.delete(c)
    this.running.delete(job.id)
    let after: JobRow | undefined
    if (r.killedFor === 'shutdown') {
      after = this.store.transition(job.id, ['RUNNING'], 'QUEUED', 'requeued: the daemon shut down before the job ended', {
        cpus: null,
        runner_pid: null,
      })
    } else if (r.killedFor === 'cancel') {
      after = undefined // CANCELLED was committed before the kill.
    } else if (failure !== null) {
      after = this.store.transition(job.id, ['RUNNING'], 'FAILED', failure, { error: failure })
    } else if (end.kind === 'ok') {
      const doc = this.resultDoc(job, end.output)
      after = this.store.transition(job.id, ['RUNNING'], 'SUCCEEDED', 'finished', {}, JSON.stringify(doc))
      jlog.info({ wall_seconds: end.output.stats.wall_seconds, gates: end.output.stats.gates }, 'job succeeded')
    } else {
      const msg = end.kind === 'killed' ? `the runner was killed by ${end.signal}` : end.message
      after = this.store.transition(job.id, ['RUNNING'], 'FAILED', msg, { error: msg })
      jlog.warn({ err: msg }, 'job failed')
    }
    if (after) this.emit('job', after)
    this.emit('runner-exit', job.id)
    this.schedule()
  }

  private resultDoc(job: JobRow, o: RunnerOutput): JobResultDoc {
    return {
      counts: o.counts ?? {},
      probabilities: o.probabilities ?? null,
      stats: o.stats,
      reproducibility: {
        agent_version: AGENT_VERSION,
        git_commit: GIT_COMMIT,
        simulator: o.build.simulator,
        compiler: o.build.compiler,
        flags: o.build.flags,
        simd: o.build.simd,
        seed: job.seed,
        cpus: o.cpus,
        thread_cpus: o.thread_cpus,
        mems: o.mems,
        threads: o.stats.threads,
        source_sha256: job.source_sha256,
      },
    }
  }

  /**
   * Stops taking jobs, lets running ones finish for up to `graceMs`, then
   * kills the rest and puts them back in the queue for the next start.
   */
  async drainAndStop(graceMs: number): Promise<void> {
    this.draining = true
    const deadline = Date.now() + graceMs
    while (this.running.size > 0 && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(250, Math.max(1, deadline - Date.now())))
        this.once('runner-exit', () => {
          clearTimeout(t)
          resolve()
        })
      })
    }
    if (this.running.size === 0) return
    const waits: Promise<unknown>[] = []
    for (const [id, r] of this.running) {
      this.log.warn({ job_id: id }, 'grace period over: stopping runner, job requeued')
      r.killedFor = 'shutdown'
      r.run.kill('SIGKILL')
      waits.push(Promise.race([r.run.wait(), new Promise((res) => setTimeout(res, KILL_WAIT_MS))]))
    }
    await Promise.all(waits)
    // Let each drive() commit its requeue before the store closes.
    await new Promise((res) => setImmediate(res))
  }
}
