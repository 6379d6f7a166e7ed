// SPDX-License-Identifier: Apache-2.0
// Exclusive CPU allocation on the topology: each job gets CPUs no other
// running job has, preferring whole physical cores and a single NUMA node.
// Pure and synchronous: the scheduler owns the state, this decides.
import type { Topology } from './topology'

export interface AllocatorPolicy {
  /** CPUs kept for the OS and the daemon; never given to a job. */
  reserved: ReadonlySet<number>
  /** Take whole physical cores only (all hyper-thread siblings free). */
  wholeCores: boolean
}

export interface CpuUse {
  /** CPU -> the job holding it. */
  busy: ReadonlyMap<number, string>
  cordoned: ReadonlySet<number>
}

export interface Allocation {
  cpus: number[]
  /** The NUMA node all CPUs lie on; -1 when the allocation spans nodes. */
  node: number
}

export type AllocationResult = { ok: true; allocation: Allocation } | { ok: false; reason: string }

/** CPUs a job could ever be given on this host (not reserved). */
export function schedulable(topo: Topology, policy: AllocatorPolicy): number[] {
  return topo.cpus.filter((c) => !policy.reserved.has(c.id)).map((c) => c.id)
}

/** Largest CPU count a single job can get here, on one node or across nodes. */
export function capacity(topo: Topology, policy: AllocatorPolicy): { perNode: number; total: number } {
  const usable = (ids: number[]) => units(topo, policy, ids, new Set()).reduce((s, u) => s + u.length, 0)
  return {
    perNode: Math.max(0, ...topo.nodes.map((n) => usable(n.cpus))),
    total: usable(topo.cpus.map((c) => c.id)),
  }
}

/**
 * Free CPUs among `ids`, grouped by physical core. With wholeCores, a core
 * counts only when every sibling is free; without it, a core's free threads
 * form a smaller group.
 */
function units(topo: Topology, policy: AllocatorPolicy, ids: number[], unavailable: ReadonlySet<number>): number[][] {
  const idset = new Set(ids)
  const out: number[][] = []
  const seen = new Set<number>()
  for (const c of topo.cpus) {
    if (!idset.has(c.id) || seen.has(c.id)) continue
    const core = c.siblings.filter((s) => idset.has(s))
    for (const s of core) seen.add(s)
    const free = core.filter((s) => !policy.reserved.has(s) && !unavailable.has(s))
    if (free.length === 0) continue
    if (policy.wholeCores && free.length !== core.length) continue
    out.push(free)
  }
  return out
}

/**
 * Covers `n` CPUs with core groups: a group that fills exactly what is left
 * first (a 1-CPU job takes the free thread of a half-used core rather than
 * breaking open a whole one), else the largest group that fits, else part
 * of a group, or with wholeCores the whole group.
 */
function take(groups: number[][], n: number, wholeCores: boolean): number[] | undefined {
  const got: number[] = []
  const rest = groups.map((g) => [...g])
  while (got.length < n && rest.length > 0) {
    const need = n - got.length
    let i = rest.findIndex((g) => g.length === need)
    if (i < 0) {
      let best = -1
      rest.forEach((g, j) => {
        if (g.length < need && (best < 0 || g.length > rest[best].length)) best = j
      })
      i = best
    }
    if (i >= 0) {
      got.push(...rest.splice(i, 1)[0])
      continue
    }
    // Every group is larger than what is left.
    const g = rest.shift()!
    got.push(...(wholeCores ? g : g.slice(0, need)))
  }
  return got.length >= n ? got.sort((a, b) => a - b) : undefined
}

/**
 * Finds `n` CPUs. Single-node fits are tried best-fit (the node with the
 * fewest free CPUs that still fits), which keeps big nodes whole for big
 * jobs; a job only spans nodes when no node alone can ever hold it.
 */
export function allocate(topo: Topology, policy: AllocatorPolicy, use: CpuUse, n: number): AllocationResult {
  const unavailable = new Set<number>([...use.busy.keys(), ...use.cordoned])
  const cap = capacity(topo, policy)
  if (n > cap.total) return { ok: false, reason: `${n} CPUs never fit: this host has ${cap.total} schedulable` }
  const fits: { node: number; free: number[][]; count: number }[] = []
  for (const node of topo.nodes) {
    const free = units(topo, policy, node.cpus, unavailable)
    const count = free.reduce((s, x) => s + x.length, 0)
    if (count >= n) fits.push({ node: node.id, free, count })
  }
  if (fits.length > 0) {
    fits.sort((a, b) => a.count - b.count || a.node - b.node)
    const cpus = take(fits[0].free, n, policy.wholeCores)!
    return { ok: true, allocation: { cpus, node: fits[0].node } }
  }
  if (n <= cap.perNode) {
    return { ok: false, reason: `waiting: ${n} CPU${n === 1 ? '' : 's'} on one NUMA node` }
  }
  const all = units(topo, policy, topo.cpus.map((c) => c.id), unavailable)
  const cpus = take(all, n, policy.wholeCores)
  if (!cpus) return { ok: false, reason: `waiting: ${n} CPUs across NUMA nodes` }
  return { ok: true, allocation: { cpus, node: -1 } }
}
