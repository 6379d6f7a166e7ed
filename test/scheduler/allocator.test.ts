// SPDX-License-Identifier: Apache-2.0
// Allocation on fixture topologies: exact CPU sets.
import t from 'tap'
import { allocate, capacity, type AllocatorPolicy } from '../../daemon/scheduler/allocator'
import { readTopology } from '../../daemon/scheduler/topology'
import { fixtureRoot, fourNodes, twoSocketNoSmt, twoSocketSmt, withOffline } from './fixtures'

const policy = (reserved: number[], wholeCores: boolean): AllocatorPolicy => ({ reserved: new Set(reserved), wholeCores })
const use = (busy: Record<number, string> = {}, cordoned: number[] = []) => ({
  busy: new Map(Object.entries(busy).map(([k, v]) => [Number(k), v])),
  cordoned: new Set(cordoned),
})

t.test('the topology reader reads cores, siblings and nodes from sysfs', async (t) => {
  const smt = readTopology(fixtureRoot('smt', twoSocketSmt()))
  t.equal(smt.cpus.length, 16)
  t.equal(smt.smt, true)
  t.same(smt.cpus[3], { id: 3, pkg: 0, core: 3, node: 0, siblings: [3, 11] })
  t.same(smt.cpus[12], { id: 12, pkg: 1, core: 0, node: 1, siblings: [4, 12] })
  t.same(smt.nodes.map((n) => [n.id, n.cpus]), [[0, [0, 1, 2, 3, 8, 9, 10, 11]], [1, [4, 5, 6, 7, 12, 13, 14, 15]]])
  t.equal(smt.nodes[0].memoryBytes, 8 * 1024 ** 3)
  const off = readTopology(fixtureRoot('off', withOffline()))
  t.same(off.cpus.map((c) => c.id), [0, 1, 2, 3, 4, 6, 7], 'the offline CPU is not there')
  t.same(off.nodes[0].cpus, [0, 1, 2, 3, 4, 6, 7])
  const here = readTopology('/')
  t.ok(here.cpus.length >= 1, 'this host reads too')
})

t.test('SMT on, whole cores: a job gets both threads of a core, best-fit node', async (t) => {
  const topo = readTopology(fixtureRoot('smt', twoSocketSmt()))
  const p = policy([0, 8], true)
  t.same(allocate(topo, p, use(), 2), { ok: true, allocation: { cpus: [1, 9], node: 0 } }, 'node 0 has fewer free CPUs: best fit')
  t.same(allocate(topo, p, use({ 1: 'a', 9: 'a' }), 4), { ok: true, allocation: { cpus: [2, 3, 10, 11], node: 0 } })
  t.same(allocate(topo, p, use(), 1), { ok: true, allocation: { cpus: [1, 9], node: 0 } }, 'one CPU rounds up to a whole core')
  t.same(allocate(topo, p, use({ 9: 'x' }), 2), { ok: true, allocation: { cpus: [2, 10], node: 0 } }, 'a half-busy core is no unit')
  t.same(allocate(topo, p, use(), 8), { ok: true, allocation: { cpus: [4, 5, 6, 7, 12, 13, 14, 15], node: 1 } })
  t.same(capacity(topo, p), { perNode: 8, total: 14 })
})

t.test('SMT on, threads allowed: a 1-CPU job takes the free half of a used core', async (t) => {
  const topo = readTopology(fixtureRoot('smt', twoSocketSmt()))
  const p = policy([], false)
  t.same(allocate(topo, p, use({ 1: 'a' }), 1), { ok: true, allocation: { cpus: [9], node: 0 } })
  t.same(allocate(topo, p, use({ 1: 'a' }), 2), { ok: true, allocation: { cpus: [0, 8], node: 0 } }, 'two CPUs: a whole free core')
  t.same(allocate(topo, p, use({ 1: 'a' }), 3), { ok: true, allocation: { cpus: [0, 8, 9], node: 0 } })
})

t.test('SMT off, two nodes: cordoned and reserved CPUs are never given', async (t) => {
  const topo = readTopology(fixtureRoot('nosmt', twoSocketNoSmt()))
  const p = policy([0], false)
  t.same(allocate(topo, p, use({}, [1]), 2), { ok: true, allocation: { cpus: [2, 3], node: 0 } })
  t.same(allocate(topo, p, use({ 2: 'a' }, [1]), 2), { ok: true, allocation: { cpus: [4, 5], node: 1 } })
  t.same(allocate(topo, p, use({ 2: 'a', 4: 'b' }, [1]), 4), { ok: false, reason: 'waiting: 4 CPUs on one NUMA node' })
})

t.test('four NUMA nodes: a job spans nodes only when no node can ever hold it', async (t) => {
  const topo = readTopology(fixtureRoot('four', fourNodes()))
  const p = policy([], false)
  t.same(allocate(topo, p, use(), 4), { ok: true, allocation: { cpus: [0, 1, 2, 3], node: 0 } })
  t.same(allocate(topo, p, use({ 0: 'a' }), 4), { ok: true, allocation: { cpus: [4, 5, 6, 7], node: 1 } })
  t.same(allocate(topo, p, use({ 0: 'a', 4: 'b', 8: 'c', 12: 'd' }), 4), { ok: false, reason: 'waiting: 4 CPUs on one NUMA node' })
  t.same(allocate(topo, p, use(), 6), { ok: true, allocation: { cpus: [0, 1, 2, 3, 4, 5], node: -1 } })
  t.same(allocate(topo, p, use(), 17), { ok: false, reason: '17 CPUs never fit: this host has 16 schedulable' })
})

t.test('an offline CPU is not schedulable', async (t) => {
  const topo = readTopology(fixtureRoot('off', withOffline()))
  const p = policy([], false)
  t.same(allocate(topo, p, use(), 8), { ok: false, reason: '8 CPUs never fit: this host has 7 schedulable' })
  t.same(allocate(topo, p, use(), 7), { ok: true, allocation: { cpus: [0, 1, 2, 3, 4, 6, 7], node: 0 } })
})
