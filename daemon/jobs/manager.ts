// SPDX-License-Identifier: Apache-2.0
// The job lifecycle: admission, the durable insert, scheduling onto free
// CPUs, running, cancelling, restart recovery and draining. Every state
// change goes through JobStore.transition and is then announced on the
// emitter, which is what WatchJob streams.
import { createHash } from 'node:crypto'
import { EventEmitter } from 'node:events'
import type { Principal } from '../auth'
import { allows, jobReadScope } from '../iam/policy'
import { toRunnerInput } from '../circuit/ir'
import type { Config } from '../config'
import { AgentError } from '../errors'
import type { Logger } from '../log'
import { GIT_COMMIT, AGENT_VERSION } from '../version'
import type { Cpusets } from '../backends/cpuset'
import { LocalRun, type RunnerOutput } from '../backends/local'
import { formatCpuList, processMatches } from '../backends/proc'
import type { Allocation } from '../scheduler/allocator'
import type { Scheduler } from '../scheduler/scheduler'
import type { HostStore } from '../store/host'
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
  killedFor: 'cancel' | 'shutdown' | 'timeout' | null
}

export interface ManagerOptions {
  store: JobStore
  config: Config
  log: Logger
  runnerPath: string
  scheduler: Scheduler
  host: HostStore
  memoryLimitBytes: number
  /** Job cpusets; null where the kernel enforces affinity only. */
  cpusets: Cpusets | null
  /** A tenant's own limits on its jobs; unset fields: the host's. */
  tenantLimits?: (tenantId: string) => TenantJobLimits
}

export interface TenantJobLimits {
  timeoutMs?: number
  cpusPerJob?: number
}

/** A job's time limit and the setting it comes from, for the error it fails with. */
interface Timeout {
  ms: number
  source: string
}

// How long a finished runner's cpuset may stay busy (its last threads
// leaving) before the daemon stops trying to remove it.
const CPUSET_REMOVE_TRIES = 50
const CPUSET_REMOVE_WAIT_MS = 20

/** Which field of a repeated request differs from the job it names; null when none. */
function sameRequestDiffers(job: JobRow, f: SubmitFields): string | null {
  if (createHash('sha256').update(f.source, 'utf8').digest('hex') !== job.source_sha256) return 'circuit'
  if (f.shots !== job.shots) return 'shots'
  if (Boolean(f.probabilities) !== (job.probabilities === 1)) return 'probabilities flag'
  if (f.seed !== undefined && f.seed !== null && f.seed !== '' && String(f.seed) !== job.seed) return 'seed'
  return null
}

export class JobManager extends EventEmitter {
  readonly store: JobStore
  private readonly config: Config
  private readonly log: Logger
  private readonly runnerPath: string
  readonly scheduler: Scheduler
  private readonly host: HostStore
  readonly memoryLimitBytes: number
  readonly cpusets: Cpusets | null
  private readonly tenantLimits: (tenantId: string) => TenantJobLimits
  private readonly running = new Map<string, Running>()
  /** True from SIGTERM on: nothing new starts, running jobs get a grace. */
  private stopping = false
  private scheduling = false
  /** Set while a runner ignored SIGKILL; its CPUs stay taken. */
  readonly degraded = new Map<string, string>()

  constructor(o: ManagerOptions) {
    super()
    this.setMaxListeners(0)
    this.store = o.store
    this.config = o.config
    this.log = o.log
    this.runnerPath = o.runnerPath
    this.scheduler = o.scheduler
    this.host = o.host
    this.memoryLimitBytes = o.memoryLimitBytes
    this.cpusets = o.cpusets
    this.tenantLimits = o.tenantLimits ?? (() => ({}))
  }

  /** CPUs a job gets: what it asked for, else the scheduler's default within the tenant's bound. */
  private cpusFor(tenantId: string, qubits: number, requested: number): number {
    const n = this.scheduler.cpusFor(qubits, requested)
    const cap = this.tenantLimits(tenantId).cpusPerJob
    return requested === 0 && cap !== undefined ? Math.min(n, cap) : n
  }

  /** The tighter of the host's job timeout and the tenant's, read when the job starts. */
  private timeoutFor(job: JobRow): Timeout {
    const own = this.tenantLimits(job.tenant_id).timeoutMs
    if (own !== undefined && own < this.config.jobTimeoutMs) return { ms: own, source: `the tenant's jobTimeoutSeconds limit` }
    return { ms: this.config.jobTimeoutMs, source: 'jobTimeoutMs' }
  }

  get isDraining(): boolean {
    return this.stopping || this.scheduler.drain !== null
  }

  /** Why a queued job waits; undefined when it is not waiting or not known. */
  waitReason(id: string): string | undefined {
    return this.scheduler.waitReason(id)
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
      if (back) {
        this.log.warn({ job_id: job.id, attempts: job.attempts }, 'requeued a job left running')
        this.emit('job', back)
      }
    }
    for (const a of this.store.allocations()) {
      // Only a runner of a job that is no longer RUNNING can be left here;
      // the records go, per job, whatever state they are in.
      if (!a.valid) this.log.warn({ job_id: a.job_id }, 'dropped an allocation record whose checksum does not match')
      const gone = a.cpus.filter((c) => !this.scheduler.topology.cpus.some((x) => x.id === c))
      if (gone.length) this.log.warn({ job_id: a.job_id, cpus: gone }, 'an allocation named CPUs this host no longer has')
      if (a.pid && processMatches(a.pid, 'z3bra-sim')) {
        try {
          process.kill(a.pid, 'SIGKILL')
        } catch {
          // Gone meanwhile.
        }
      }
      this.store.dropAllocation(a.job_id)
    }
    // Cpusets of a dead daemon's jobs: their runners were killed above, so
    // each empties and goes.
    for (const id of this.cpusets?.jobIds() ?? []) {
      for (const pid of this.cpusets!.pids(id)) {
        if (processMatches(pid, 'z3bra-sim')) {
          try {
            process.kill(pid, 'SIGKILL')
          } catch {
            // Gone meanwhile.
          }
        }
      }
      void this.removeCpuset(id)
    }
    for (const job of this.store.queued(Number.MAX_SAFE_INTEGER)) this.enqueue(job)
  }

  /** Removes a job's cpuset, waiting for its last threads to leave. */
  private async removeCpuset(jobId: string): Promise<void> {
    for (let i = 0; i < CPUSET_REMOVE_TRIES; i++) {
      if (this.cpusets!.remove(jobId)) return
      await new Promise((r) => setTimeout(r, CPUSET_REMOVE_WAIT_MS))
    }
    this.log.warn({ job_id: jobId, cpuset: this.cpusets!.pathOf(jobId) }, 'a job cpuset would not go; it is left in place')
  }

  private enqueue(job: JobRow): void {
    this.scheduler.enqueue({
      id: job.id,
      tenantId: job.tenant_id,
      priority: job.priority,
      seq: job.seq,
      cpus: this.cpusFor(job.tenant_id, job.num_qubits, job.requested_cpus),
      memoryBytes: job.memory_bytes,
      createdAt: job.created_at,
    })
  }

  /**
   * The job an earlier submission with the same client_request_id made, or
   * undefined; throws when that id was used for a different request.
   */
  repeatOf(tenantId: string, f: SubmitFields): JobRow | undefined {
    if (!f.clientRequestId) return undefined
    const found = this.store.byClientRequest(tenantId, f.clientRequestId)
    if (!found) return undefined
    const differs = sameRequestDiffers(found, f)
    if (differs) {
      throw new AgentError(
        'Z3_REQUEST_ID_REUSED',
        `client_request_id "${f.clientRequestId}" already names job ${found.id}, whose ${differs} differs from this request's; a retry must repeat the request exactly.`,
      )
    }
    return found
  }

  submit(p: Principal, f: SubmitFields): { job: JobRow; existing: boolean } {
    if (this.isDraining) {
      const why = this.scheduler.drain ? ` (${this.scheduler.drain.reason})` : ''
      throw new AgentError('Z3_DRAINING', `This host is draining${why} and takes no new jobs; submit to another host.`)
    }
    // An idempotent repeat answers before the circuit is parsed again.
    const repeat = this.repeatOf(p.tenantId, f)
    if (repeat) return { job: repeat, existing: true }
    const a = admit(f, this.config, this.memoryLimitBytes)
    const requested = f.cpus ?? 0
    if (!Number.isInteger(requested) || requested < 0) {
      throw new AgentError('Z3_INVALID_ARGUMENT', `cpus must be a whole number, 0 for the default; got ${requested}.`)
    }
    const cap = this.tenantLimits(p.tenantId).cpusPerJob
    if (cap !== undefined && requested > cap) {
      throw new AgentError('Z3_HOST_LIMIT', `This job asks for ${requested} CPUs; tenant ${p.tenantId} may use at most ${cap} per job (cpusPerJob).`)
    }
    const never = this.scheduler.neverFits(this.cpusFor(p.tenantId, a.circuit.numQubits, requested), a.memoryBytes)
    if (never) throw new AgentError('Z3_HOST_LIMIT', `This job could never run on this host: ${never}.`)
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
      requested_cpus: requested,
      precision: a.precision,
      classification: f.classification ?? 'public',
      justification: f.justification ?? '',
      charged_period: f.chargedPeriod ?? null,
    }, f.afterInsert)
    if (!out.existing) {
      this.enqueue(out.job)
      this.log.info({ job_id: out.job.id, tenant_id: p.tenantId, qubits: a.circuit.numQubits, shots: f.shots }, 'job queued')
      this.emit('job', out.job)
      // After the reply is on its way: started in the same turn, a job's
      // RUNNING commit, fork, exec and pinning held the SubmitJob reply
      // (6.6 ms against 1.8 ms for a Bell job, the same total).
      setTimeout(() => this.schedule(), 0)
    }
    return out
  }

  /**
   * A job the caller may read; another tenant's job, or one the role may not
   * read, does not exist for them.
   */
  get(p: Principal, id: string): JobRow {
    const job = typeof id === 'string' && id ? this.store.get(id) : undefined
    if (!job || !allows(p, 'job', 'read', { tenantId: job.tenant_id, classification: job.classification, ownerUserId: job.submitted_by })) {
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
    const scope = jobReadScope(p)
    if (!scope) return { jobs: [], next: '' }
    const rows = this.store.list({
      ...scope,
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
    // The permission before the state, so a refusal tells nothing of the job.
    if (!allows(p, 'job', 'update', { tenantId: job.tenant_id, classification: job.classification, ownerUserId: job.submitted_by })) {
      throw new AgentError('Z3_PERMISSION_DENIED', `Role ${p.role} may not cancel job "${id}".`)
    }
    if (job.state === 'CANCELLED') return job
    if (TERMINAL_STATES.has(job.state)) {
      throw new AgentError('Z3_JOB_ENDED', `Job "${id}" has already ended (${job.state}); there is nothing to cancel.`)
    }
    const why = `cancelled by ${p.userId}${reason ? `: ${reason}` : ''}`
    // A job that never started gives its quota unit back; the check and the
    // refund are one transition, so a job that starts meanwhile keeps it.
    const done =
      (job.state === 'QUEUED' && job.started_at === null
        ? this.store.transition(id, ['QUEUED'], 'CANCELLED', why, { error: why, charged_period: null })
        : undefined) ?? this.store.transition(id, ['QUEUED', 'RUNNING'], 'CANCELLED', why, { error: why })
    if (!done) return this.get(p, id) // It ended meanwhile; report how.
    this.scheduler.dequeue(id)
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

  /** Starts queued jobs while the scheduler finds them CPUs. */
  schedule(): void {
    if (this.scheduling || this.stopping) return
    this.scheduling = true
    try {
      for (;;) {
        const next = this.scheduler.next()
        if (!next) break
        const row = this.store.get(next.job.id)
        if (!row || row.state !== 'QUEUED') continue
        this.start(row, next.allocation)
      }
    } finally {
      this.scheduling = false
    }
  }

  private start(job: JobRow, allocation: Allocation): void {
    const t0 = performance.now()
    const cpus = allocation.cpus
    const where = allocation.node >= 0 ? ` on NUMA node ${allocation.node}` : ' across NUMA nodes'
    const started = this.store.transition(job.id, ['QUEUED'], 'RUNNING', `started on CPUs ${formatCpuList(cpus)}${where}`, {
      started_at: Date.now(),
      attempts: job.attempts + 1,
    })
    if (!started) return
    this.scheduler.hold({ id: job.id, tenantId: job.tenant_id, priority: job.priority, seq: job.seq, cpus: cpus.length, memoryBytes: job.memory_bytes, createdAt: job.created_at }, allocation)
    const run = new LocalRun(this.runnerPath, cpus)
    const entry: Running = { run, cpus, killedFor: null }
    this.running.set(job.id, entry)
    const jlog = this.log.child({ job_id: job.id })
    void this.drive(started, entry, allocation.node, jlog, t0)
  }

  /**
   * Past the job timeout: SIGTERM, then SIGKILL after KILL_WAIT_MS; a
   * runner still there after another KILL_WAIT_MS will not die, and the host
   * says so instead of quietly reusing its CPUs.
   */
  private armTimeout(job: JobRow, r: Running, limit: Timeout, jlog: Logger): () => void {
    const timers: NodeJS.Timeout[] = []
    timers.push(
      setTimeout(() => {
        r.killedFor = r.killedFor ?? 'timeout'
        jlog.warn({ timeout_ms: limit.ms, source: limit.source }, 'job timed out: stopping its runner')
        r.run.kill('SIGTERM')
        timers.push(
          setTimeout(() => {
            r.run.kill('SIGKILL')
            timers.push(
              setTimeout(() => {
                const msg = `runner of job ${job.id} (pid ${r.run.child.pid}) survived SIGKILL; CPUs ${formatCpuList(r.cpus)} stay held`
                this.degraded.set(job.id, msg)
                jlog.error({ pid: r.run.child.pid }, 'runner will not die')
              }, KILL_WAIT_MS),
            )
          }, KILL_WAIT_MS),
        )
      }, limit.ms),
    )
    return () => timers.forEach(clearTimeout)
  }

  /**
   * Runs a started job to its end. `t0` is when start() took it: the
   * milliseconds of each step from there go into the log line of a job
   * that succeeds (`phases_ms`), the split of a small job's latency.
   */
  private async drive(job: JobRow, r: Running, node: number, jlog: Logger, t0: number): Promise<void> {
    let failure: string | null = null
    const limit = this.timeoutFor(job)
    const disarm = this.armTimeout(job, r, limit, jlog)
    const marks: [string, number][] = [['commit_running', performance.now()]]
    try {
      const pid = await r.run.spawned()
      marks.push(['spawn', performance.now()])
      const mems = node >= 0 ? String(node) : this.allMems()
      const placed = r.run.pin(r.cpus, this.cpusets ? { sets: this.cpusets, jobId: job.id, mems } : undefined)
      const { cpus: _, ...placement } = placed
      this.store.setPlacement(job.id, placed.cpus, pid, node, placement)
      marks.push(['pin_and_record', performance.now()])
      const circuit = compileCircuit(job.source, this.config)
      r.run.feed(
        toRunnerInput(circuit, { shots: job.shots, seed: BigInt(job.seed), probabilities: job.probabilities === 1, threads: 0, precision: job.precision }),
      )
      marks.push(['compile_and_feed', performance.now()])
      jlog.info({ pid, cpus: placed.cpus, mems: placed.mems_allowed_list, node, enforced_by: placed.enforced_by, attempt: job.attempts }, 'job running')
      this.emit('job', this.store.get(job.id))
    } catch (err) {
      failure = `the job could not be started: ${(err as Error).message}`
      r.run.kill('SIGKILL')
    }
    const end = await r.run.wait()
    marks.push(['runner', performance.now()])
    disarm()
    if (this.cpusets) await this.removeCpuset(job.id)
    marks.push(['cpuset_removal', performance.now()])
    this.degraded.delete(job.id)
    this.scheduler.release(job.id)
    this.running.delete(job.id)
    let after: JobRow | undefined
    if (r.killedFor === 'shutdown') {
      after = this.store.transition(job.id, ['RUNNING'], 'QUEUED', 'requeued: the daemon shut down before the job ended', {
        cpus: null,
        runner_pid: null,
      })
      // Not enqueued: the daemon is stopping; the next start loads it.
    } else if (r.killedFor === 'cancel') {
      after = undefined // CANCELLED was committed before the kill.
    } else if (r.killedFor === 'timeout') {
      const msg = `the job ran past its timeout of ${limit.ms} ms (${limit.source})`
      after = this.store.transition(job.id, ['RUNNING'], 'FAILED', msg, { error: msg })
    } else if (failure !== null) {
      after = this.store.transition(job.id, ['RUNNING'], 'FAILED', failure, { error: failure })
    } else if (end.kind === 'ok') {
      const doc = this.resultDoc(job, end.output)
      after = this.store.transition(job.id, ['RUNNING'], 'SUCCEEDED', 'finished', {}, JSON.stringify(doc))
      marks.push(['commit_result', performance.now()])
      const phases: Record<string, number> = {}
      let prev = t0
      for (const [name, at] of marks) {
        phases[name] = Math.round((at - prev) * 1000) / 1000
        prev = at
      }
      jlog.info({ wall_seconds: end.output.stats.wall_seconds, gates: end.output.stats.gates, phases_ms: phases }, 'job succeeded')
    } else {
      const msg = end.kind === 'killed' ? `the runner was killed by ${end.signal}` : end.message
      after = this.store.transition(job.id, ['RUNNING'], 'FAILED', msg, { error: msg })
      jlog.warn({ err: msg }, 'job failed')
    }
    if (after) this.emit('job', after)
    this.emit('runner-exit', job.id)
    this.schedule()
  }

  /** Every NUMA node of the host, as a kernel list: a placement that spans nodes. */
  private allMems(): string {
    return formatCpuList(this.scheduler.topology.nodes.map((n) => n.id))
  }

  /** Stops starting jobs, with a recorded reason; running ones go on. */
  drain(actor: string, reason: string): void {
    this.scheduler.drain = { actor, reason, time: Date.now() }
    this.host.set('drain', this.scheduler.drain)
    this.host.event(actor, 'drain', reason)
    this.log.info({ actor, reason }, 'host drained')
  }

  undrain(actor: string, reason: string): void {
    this.scheduler.drain = null
    this.host.set('drain', null)
    this.host.event(actor, 'undrain', reason)
    this.log.info({ actor }, 'host undrained')
    this.schedule()
  }

  /** Resolves when no job is running (or at once). */
  idle(): Promise<void> {
    if (this.running.size === 0) return Promise.resolve()
    return new Promise((resolve) => {
      const check = () => {
        if (this.running.size === 0) {
          this.off('runner-exit', check)
          resolve()
        }
      }
      this.on('runner-exit', check)
    })
  }

  cordon(actor: string, cpus: number[], reason: string): void {
    const known = new Set(this.scheduler.topology.cpus.map((c) => c.id))
    const unknown = cpus.filter((c) => !known.has(c))
    if (unknown.length) throw new AgentError('Z3_INVALID_ARGUMENT', `CPUs ${formatCpuList(unknown)} are not online on this host.`)
    const mark = { actor, reason, time: Date.now() }
    for (const c of cpus) this.scheduler.cordoned.set(c, mark)
    this.host.set('cordon', Object.fromEntries(this.scheduler.cordoned))
    this.host.event(actor, 'cordon', `${formatCpuList(cpus)}: ${reason}`)
    this.log.info({ actor, cpus, reason }, 'CPUs cordoned')
  }

  uncordon(actor: string, cpus: number[], reason: string): void {
    for (const c of cpus) this.scheduler.cordoned.delete(c)
    this.host.set('cordon', Object.fromEntries(this.scheduler.cordoned))
    this.host.event(actor, 'uncordon', `${formatCpuList(cpus)}: ${reason}`)
    this.log.info({ actor, cpus }, 'CPUs uncordoned')
    this.schedule()
  }

  /** Restores drain and cordons recorded by an earlier run. */
  restoreHostState(): void {
    const drain = this.host.get<{ actor: string; reason: string; time: number } | null>('drain')
    if (drain) this.scheduler.drain = drain
    const cordon = this.host.get<Record<string, { actor: string; reason: string; time: number }>>('cordon') ?? {}
    const known = new Set(this.scheduler.topology.cpus.map((c) => c.id))
    for (const [cpu, mark] of Object.entries(cordon)) {
      if (known.has(Number(cpu))) this.scheduler.cordoned.set(Number(cpu), mark)
      else this.log.warn({ cpu: Number(cpu) }, 'a cordoned CPU is no longer online')
    }
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
    this.stopping = true
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
