// SPDX-License-Identifier: Apache-2.0
// The scheduler's state and decisions: which queued job starts next, on
// which CPUs, and why the others wait. It holds no processes; the job
// manager starts and stops runners and tells it what happened.
import { allocate, capacity, type Allocation, type AllocatorPolicy } from './allocator'
import { FairQueue, type QueuedJob } from './fair-queue'
import type { Topology } from './topology'
import { formatCpuList } from '../backends/proc'

// Below this many qubits a statevector fits in cache and a second thread
// costs more in synchronisation than it gains.
const SINGLE_CPU_MAX_QUBITS = 17

export interface SchedulerOptions {
  topology: Topology
  policy: AllocatorPolicy
  /** Largest CPU count one job may get; 0: no bound beyond the host. */
  maxCpusPerJob: number
  memoryLimitBytes: number
  halfLifeMs: number
  weightOf: (tenantId: string) => number
  /** How long a blocked head job lets smaller jobs start past it. */
  backfillLimitMs: number
  now?: () => number
}

export interface Held {
  jobId: string
  tenantId: string
  allocation: Allocation
  memoryBytes: number
  since: number
}

export interface Mark {
  reason: string
  actor: string
  time: number
}

export class Scheduler {
  readonly topology: Topology
  readonly policy: AllocatorPolicy
  private readonly queue: FairQueue
  private readonly o: SchedulerOptions
  private readonly now: () => number
  /** CPU -> job id, exactly for CPUs held by a live or unkillable runner. */
  readonly busy = new Map<number, string>()
  readonly held = new Map<string, Held>()
  readonly cordoned = new Map<number, Mark>()
  /** Job id -> why it waits; only for queued jobs that were considered. */
  readonly waiting = new Map<string, string>()
  drain: Mark | null = null

  constructor(o: SchedulerOptions) {
    this.o = o
    this.topology = o.topology
    this.policy = o.policy
    this.now = o.now ?? Date.now
    this.queue = new FairQueue({ halfLifeMs: o.halfLifeMs, weightOf: o.weightOf, now: this.now })
  }

  get queued(): number {
    return this.queue.size
  }

  /** The CPUs a job gets: what it asked for, else a default from its size. */
  cpusFor(qubits: number, requested: number): number {
    const cap = capacity(this.topology, this.policy)
    const bound = this.o.maxCpusPerJob > 0 ? Math.min(this.o.maxCpusPerJob, cap.total) : cap.total
    if (requested > 0) return requested
    if (qubits <= SINGLE_CPU_MAX_QUBITS) return 1
    // One CPU per 2^17 amplitudes, within one node and the job bound.
    return Math.max(1, Math.min(2 ** (qubits - SINGLE_CPU_MAX_QUBITS), cap.perNode, bound))
  }

  /** Why a job could never run here, or null when it could. */
  neverFits(cpus: number, memoryBytes: number): string | null {
    const cap = capacity(this.topology, this.policy)
    if (this.o.maxCpusPerJob > 0 && cpus > this.o.maxCpusPerJob) {
      return `${cpus} CPUs is above this host's limit of ${this.o.maxCpusPerJob} per job (maxCpusPerJob)`
    }
    if (cpus > cap.total) return `${cpus} CPUs never fit: this host has ${cap.total} schedulable`
    if (memoryBytes > this.o.memoryLimitBytes) return `${memoryBytes} bytes of statevector never fit in ${this.o.memoryLimitBytes}`
    return null
  }

  enqueue(j: QueuedJob): void {
    this.queue.push(j)
  }

  dequeue(id: string): void {
    this.queue.remove(id)
    this.waiting.delete(id)
  }

  private runningCharge(tenantId: string): number {
    let s = 0
    const t = this.now()
    for (const h of this.held.values()) {
      if (h.tenantId === tenantId) s += (h.allocation.cpus.length * (t - h.since)) / 1000
    }
    return s
  }

  private memoryInUse(): number {
    let m = 0
    for (const h of this.held.values()) m += h.memoryBytes
    return m
  }

  /**
   * The next job to start and its CPUs, or undefined. Heads are taken in
   * fair-share order; a head that does not fit records why and lets the
   * next tenant's head start, unless it has waited past backfillLimitMs,
   * when nothing starts past it until it fits.
   */
  next(): { job: QueuedJob; allocation: Allocation } | undefined {
    if (this.drain) return undefined
    const t = this.now()
    const use = { busy: this.busy, cordoned: new Set(this.cordoned.keys()) }
    for (const { job } of this.queue.heads((tenant) => this.runningCharge(tenant))) {
      let reason: string | null = null
      if (this.memoryInUse() + job.memoryBytes > this.o.memoryLimitBytes) {
        reason = `waiting: ${job.memoryBytes} bytes of memory (${this.o.memoryLimitBytes - this.memoryInUse()} free)`
      } else {
        const a = allocate(this.topology, this.policy, use, job.cpus)
        if (a.ok) {
          this.queue.take(job.id)
          this.waiting.delete(job.id)
          return { job, allocation: a.allocation }
        }
        reason = a.reason
      }
      this.waiting.set(job.id, reason)
      if (t - job.createdAt > this.o.backfillLimitMs) return undefined
    }
    return undefined
  }

  hold(job: QueuedJob, allocation: Allocation): void {
    for (const c of allocation.cpus) this.busy.set(c, job.id)
    this.held.set(job.id, { jobId: job.id, tenantId: job.tenantId, allocation, memoryBytes: job.memoryBytes, since: this.now() })
  }

  /**
   * Rebuilds the tenants' decayed usage from jobs that ended before this
   * start (JobStore.cpuTimeSince), so a restart does not hand every tenant
   * a clean slate.
   */
  restoreUsage(ended: { tenantId: string; cpuSeconds: number; endedAt: number }[]): void {
    for (const e of ended) this.queue.chargeAt(e.tenantId, e.cpuSeconds, e.endedAt)
  }

  /** Frees a job's CPUs and charges its tenant for the time it held them. */
  release(jobId: string): void {
    const h = this.held.get(jobId)
    if (!h) return
    for (const c of h.allocation.cpus) if (this.busy.get(c) === jobId) this.busy.delete(c)
    this.held.delete(jobId)
    this.queue.charge(h.tenantId, (h.allocation.cpus.length * (this.now() - h.since)) / 1000)
  }

  /** Per tenant: queued jobs and the fair-share factor. */
  tenants(): { tenantId: string; queued: number; factor: number; weight: number }[] {
    const depth = this.queue.depthByTenant()
    const ids = new Set([...depth.keys(), ...[...this.held.values()].map((h) => h.tenantId)])
    return [...ids].sort().map((tenantId) => ({
      tenantId,
      queued: depth.get(tenantId) ?? 0,
      factor: this.queue.factor(tenantId, this.runningCharge(tenantId)),
      weight: this.o.weightOf(tenantId),
    }))
  }

  /** The job the fair share would start next, and why it has not. */
  head(): { jobId: string; tenantId: string; reason: string } | null {
    const [h] = this.queue.heads((tenant) => this.runningCharge(tenant))
    if (!h) return null
    return { jobId: h.job.id, tenantId: h.job.tenantId, reason: this.waitReason(h.job.id) ?? 'starting' }
  }

  /**
   * Why a queued job waits, as of now: the drain first (the reason recorded
   * at the last decision may predate it), then that reason, with the CPUs
   * cordoned meanwhile named, since they may be all that stands in the way.
   */
  waitReason(jobId: string): string | undefined {
    if (this.drain) return `host draining: ${this.drain.reason}`
    const reason = this.waiting.get(jobId)
    if (reason === undefined || this.cordoned.size === 0) return reason
    return `${reason} (CPUs ${formatCpuList([...this.cordoned.keys()])} cordoned)`
  }
}
