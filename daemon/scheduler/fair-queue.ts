// SPDX-License-Identifier: Apache-2.0
// Per-tenant queues with weighted fair share. The next job comes from the
// tenant whose recent usage, divided by its weight, is lowest; within a
// tenant, by priority and then by age. Usage is CPU-seconds decayed with a
// half-life, so a tenant's past weighs less the older it is, and a tenant
// alone on the host still gets all of it.

export interface QueuedJob {
  id: string
  tenantId: string
  priority: number
  /** Submission order; lower is older. */
  seq: number
  /** CPUs the job needs. */
  cpus: number
  memoryBytes: number
  createdAt: number
}

/** A binary min-heap on (-priority, seq), with lazy removal. */
class TenantHeap {
  private readonly items: QueuedJob[] = []
  private static less(a: QueuedJob, b: QueuedJob): boolean {
    return a.priority !== b.priority ? a.priority > b.priority : a.seq < b.seq
  }
  get size(): number {
    return this.items.length
  }
  push(j: QueuedJob): void {
    const a = this.items
    a.push(j)
    let i = a.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!TenantHeap.less(a[i], a[p])) break
      ;[a[i], a[p]] = [a[p], a[i]]
      i = p
    }
  }
  peek(): QueuedJob | undefined {
    return this.items[0]
  }
  pop(): QueuedJob | undefined {
    const a = this.items
    if (a.length === 0) return undefined
    const top = a[0]
    const last = a.pop()!
    if (a.length > 0) {
      a[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < a.length && TenantHeap.less(a[l], a[m])) m = l
        if (r < a.length && TenantHeap.less(a[r], a[m])) m = r
        if (m === i) break
        ;[a[i], a[m]] = [a[m], a[i]]
        i = m
      }
    }
    return top
  }
}

interface TenantState {
  heap: TenantHeap
  /** Decayed CPU-seconds as of `usageAt`. */
  usage: number
  usageAt: number
}

export interface FairQueueOptions {
  halfLifeMs: number
  weightOf: (tenantId: string) => number
  now?: () => number
}

export class FairQueue {
  private readonly tenants = new Map<string, TenantState>()
  /** Ids queued and not removed; the heaps may still hold removed ones. */
  private readonly live = new Map<string, QueuedJob>()
  private readonly halfLifeMs: number
  private readonly weightOf: (t: string) => number
  private readonly now: () => number

  constructor(o: FairQueueOptions) {
    this.halfLifeMs = o.halfLifeMs
    this.weightOf = o.weightOf
    this.now = o.now ?? Date.now
  }

  get size(): number {
    return this.live.size
  }

  has(id: string): boolean {
    return this.live.has(id)
  }

  private state(tenantId: string): TenantState {
    let s = this.tenants.get(tenantId)
    if (!s) {
      s = { heap: new TenantHeap(), usage: 0, usageAt: this.now() }
      this.tenants.set(tenantId, s)
    }
    return s
  }

  push(j: QueuedJob): void {
    if (this.live.has(j.id)) return
    this.live.set(j.id, j)
    this.state(j.tenantId).heap.push(j)
  }

  remove(id: string): boolean {
    return this.live.delete(id)
  }

  /** Adds finished (or accrued) CPU-seconds to a tenant's usage. */
  charge(tenantId: string, cpuSeconds: number): void {
    const s = this.state(tenantId)
    s.usage = this.decayed(s) + cpuSeconds
    s.usageAt = this.now()
  }

  /** Adds CPU-seconds that ended at `at` (in the past), decayed from then. */
  chargeAt(tenantId: string, cpuSeconds: number, at: number): void {
    const dt = Math.max(0, this.now() - at)
    this.charge(tenantId, cpuSeconds * Math.pow(2, -dt / this.halfLifeMs))
  }

  private decayed(s: TenantState): number {
    const dt = this.now() - s.usageAt
    return dt <= 0 ? s.usage : s.usage * Math.pow(2, -dt / this.halfLifeMs)
  }

  /** The tenant's fair-share factor: decayed usage (plus `running`) over weight. */
  factor(tenantId: string, running = 0): number {
    const s = this.tenants.get(tenantId)
    const w = this.weightOf(tenantId)
    return ((s ? this.decayed(s) : 0) + running) / (w > 0 ? w : 1)
  }

  private head(s: TenantState): QueuedJob | undefined {
    // Drop removed jobs lazily, so cancel is O(1).
    for (;;) {
      const top = s.heap.peek()
      if (!top || this.live.get(top.id) === top) return top
      s.heap.pop()
    }
  }

  /**
   * Each tenant's next job, best tenant first. `running(t)` gives the
   * CPU-seconds a tenant's running jobs have used so far, so a tenant with
   * long jobs in flight does not look idle.
   */
  heads(running: (tenantId: string) => number = () => 0): { job: QueuedJob; factor: number }[] {
    const out: { job: QueuedJob; factor: number }[] = []
    for (const [tenantId, s] of this.tenants) {
      const job = this.head(s)
      if (job) out.push({ job, factor: this.factor(tenantId, running(tenantId)) })
    }
    out.sort((a, b) => a.factor - b.factor || b.job.priority - a.job.priority || a.job.seq - b.job.seq)
    return out
  }

  /** Takes a job out for starting (it must be a current head). */
  take(id: string): QueuedJob | undefined {
    const j = this.live.get(id)
    if (!j) return undefined
    this.live.delete(id)
    return j
  }

  /** Queued jobs per tenant, for status. */
  depthByTenant(): Map<string, number> {
    const out = new Map<string, number>()
    for (const j of this.live.values()) out.set(j.tenantId, (out.get(j.tenantId) ?? 0) + 1)
    return out
  }
}
