// SPDX-License-Identifier: Apache-2.0
// Sysfs trees of machines other than this one, for the topology reader.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { writeFixture, type FixtureCpu } from '../../daemon/scheduler/topology'

export function fixtureRoot(name: string, cpus: FixtureCpu[]): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `z3topo-${name}-`))
  writeFixture(root, cpus)
  return root
}

/** Two sockets, four cores each, SMT on: cpu N and N+8 are siblings. */
export function twoSocketSmt(): FixtureCpu[] {
  const out: FixtureCpu[] = []
  for (let id = 0; id < 16; id++) {
    const phys = id % 8
    out.push({ id, pkg: phys < 4 ? 0 : 1, core: phys % 4, node: phys < 4 ? 0 : 1, siblings: [phys, phys + 8] })
  }
  return out
}

/** Two sockets, four cores each, SMT off. */
export function twoSocketNoSmt(): FixtureCpu[] {
  return Array.from({ length: 8 }, (_, id) => ({ id, pkg: id < 4 ? 0 : 1, core: id % 4, node: id < 4 ? 0 : 1, siblings: [id] }))
}

/** One package split into four NUMA nodes of four CPUs. */
export function fourNodes(): FixtureCpu[] {
  return Array.from({ length: 16 }, (_, id) => ({ id, pkg: 0, core: id, node: Math.floor(id / 4), siblings: [id] }))
}

/** Eight CPUs in one node, CPU 5 offline. */
export function withOffline(): FixtureCpu[] {
  return Array.from({ length: 8 }, (_, id) => ({ id, pkg: 0, core: id, node: 0, siblings: [id], online: id !== 5 }))
}
