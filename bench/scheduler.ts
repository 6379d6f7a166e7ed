// SPDX-License-Identifier: Apache-2.0
// Scheduling decision time with 10,000 queued jobs across 100 tenants on a
// two-socket, 64-CPU topology, beside a reference in the same run: the
// plain approach of sorting every queued job by its tenant's fair-share
// factor at each decision. Each decision is one `next()` after a running
// job is released, as the daemon does when a runner ends.
import { Scheduler } from '../daemon/scheduler/scheduler'
import type { Topology } from '../daemon/scheduler/topology'
import type { QueuedJob } from '../daemon/scheduler/fair-queue'
import { quantile } from './results'

const TENANTS = 100
const JOBS = 10_000
const DECISIONS = 2_000

function topology(): Topology {
  const cpus = Array.from({ length: 64 }, (_, id) => {
    const phys = id % 32
    return { id, pkg: phys < 16 ? 0 : 1, core: phys % 16, node: phys < 16 ? 0 : 1, siblings: [phys, phys + 32] }
  })
  const nodes = [0, 1].map((n) => ({ id: n, cpus: cpus.filter((c) => c.node === n).map((c) => c.id), memoryBytes: 64 * 2 ** 30 }))
  return { cpus, nodes, smt: true }
}

/** A small deterministic generator, so both contenders see the same jobs. */
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let x = s
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32
  }
}

function jobs(): QueuedJob[] {
  const r = rng(42)
  return Array.from({ length: JOBS }, (_, i) => ({
    id: `job-${i}`,
    tenantId: `tenant-${Math.floor(r() * TENANTS)}`,
    priority: r() < 0.1 ? 10 : 0,
    seq: i,
    cpus: 1 + Math.floor(r() * 4),
    memoryBytes: 2 ** 20,
    createdAt: 0,
  }))
}

export interface Quantiles {
  n: number
  p50_us: number
  p99_us: number
  max_us: number
}

function quantiles(samples: number[]): Quantiles {
  const s = [...samples].sort((a, b) => a - b)
  const q = (p: number) => quantile(s, p)
  return { n: s.length, p50_us: q(0.5), p99_us: q(0.99), max_us: s[s.length - 1] }
}

/** The scheduler as the daemon runs it. */
function measureScheduler(): Quantiles {
  let clock = 1_000_000
  const s = new Scheduler({
    topology: topology(),
    policy: { reserved: new Set([0, 32]), wholeCores: false },
    maxCpusPerJob: 0,
    memoryLimitBytes: 2 ** 40,
    halfLifeMs: 3_600_000,
    weightOf: (t) => 1 + (Number(t.slice(7)) % 4),
    backfillLimitMs: 60_000,
    now: () => clock,
  })
  for (const j of jobs()) s.enqueue(j)
  const running: string[] = []
  const samples: number[] = []
  const r = rng(7)
  // Fill the host, then: one job ends, the next decision is timed.
  for (;;) {
    const n = s.next()
    if (!n) break
    s.hold(n.job, n.allocation)
    running.push(n.job.id)
  }
  for (let i = 0; i < DECISIONS && running.length > 0; i++) {
    clock += 50
    const k = Math.floor(r() * running.length)
    s.release(running[k])
    running.splice(k, 1)
    for (;;) {
      const t0 = process.hrtime.bigint()
      const n = s.next()
      samples.push(Number(process.hrtime.bigint() - t0) / 1000)
      if (!n) break
      s.hold(n.job, n.allocation)
      running.push(n.job.id)
    }
  }
  return quantiles(samples)
}

/**
 * The reference: every decision sorts all queued jobs by their tenant's
 * decayed usage over weight (computed once per tenant), then priority and
 * age, and starts the first that fits in the free CPUs.
 */
function measureSortAll(): Quantiles {
  const queued = jobs()
  const usage = new Map<string, number>()
  const weight = (t: string) => 1 + (Number(t.slice(7)) % 4)
  let free = 62
  const running: { job: QueuedJob; t: number }[] = []
  const samples: number[] = []
  const r = rng(7)
  let clock = 0
  const decide = (): QueuedJob | undefined => {
    const factor = new Map<string, number>()
    for (const j of queued) if (!factor.has(j.tenantId)) factor.set(j.tenantId, (usage.get(j.tenantId) ?? 0) / weight(j.tenantId))
    const order = [...queued].sort(
      (a, b) => factor.get(a.tenantId)! - factor.get(b.tenantId)! || b.priority - a.priority || a.seq - b.seq,
    )
    const pick = order.find((j) => j.cpus <= free)
    if (pick) queued.splice(queued.indexOf(pick), 1)
    return pick
  }
  for (;;) {
    const j = decide()
    if (!j) break
    free -= j.cpus
    running.push({ job: j, t: clock })
  }
  for (let i = 0; i < DECISIONS / 10 && running.length > 0; i++) {
    clock += 50
    const k = Math.floor(r() * running.length)
    const [ended] = running.splice(k, 1)
    free += ended.job.cpus
    usage.set(ended.job.tenantId, (usage.get(ended.job.tenantId) ?? 0) + ((clock - ended.t) * ended.job.cpus) / 1000)
    for (;;) {
      const t0 = process.hrtime.bigint()
      const j = decide()
      samples.push(Number(process.hrtime.bigint() - t0) / 1000)
      if (!j) break
      free -= j.cpus
      running.push({ job: j, t: clock })
    }
  }
  return quantiles(samples)
}

export function runSchedulerBench(): Record<string, unknown> {
  return {
    setup: { tenants: TENANTS, queued_jobs: JOBS, cpus: 64, numa_nodes: 2, reserved_cpus: 2, cpus_per_job: '1 to 4' },
    scheduler_next_decision: measureScheduler(),
    reference_sort_all_queued: measureSortAll(),
    notes:
      'A decision is one Scheduler.next() call after a running job is released (the last call of each round finds nothing that fits). The reference sorts all queued jobs by fair-share factor at every decision and takes the first that fits, with no NUMA placement; it runs a tenth as many rounds.',
  }
}

if (require.main === module) {
  console.log(JSON.stringify(runSchedulerBench(), null, 2))
}
