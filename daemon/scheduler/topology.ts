// SPDX-License-Identifier: Apache-2.0
// The host's CPU topology as sysfs describes it: online CPUs, the core and
// package each belongs to, its hyper-thread siblings, and the NUMA nodes
// with their memory. The reader takes a root, so tests feed it the sysfs
// trees of other machines.
import fs from 'node:fs'
import path from 'node:path'
import { formatCpuList, parseCpuList } from '../backends/proc'

export interface Cpu {
  id: number
  /** Package (socket) id. */
  pkg: number
  /** Core id, unique only within a package. */
  core: number
  node: number
  /** All CPUs of this CPU's physical core, itself included, ascending. */
  siblings: number[]
}

export interface NumaNode {
  id: number
  cpus: number[]
  /** MemTotal of the node; 0 when sysfs does not say. */
  memoryBytes: number
}

export interface Topology {
  cpus: Cpu[]
  nodes: NumaNode[]
  /** True when some core has more than one online thread. */
  smt: boolean
}

function read(root: string, rel: string): string | undefined {
  try {
    return fs.readFileSync(path.join(root, rel), 'utf8').trim()
  } catch {
    return undefined
  }
}

/** Reads the topology under `root` (normally "/"). */
export function readTopology(root = '/'): Topology {
  const cpuDir = 'sys/devices/system/cpu'
  const onlineText = read(root, `${cpuDir}/online`)
  if (onlineText === undefined) throw new Error(`cannot read ${path.join(root, cpuDir, 'online')}: no CPU topology`)
  const online = parseCpuList(onlineText)
  const onlineSet = new Set(online)

  // NUMA nodes: absent on kernels without NUMA, where everything is node 0.
  const nodes: NumaNode[] = []
  const nodeOf = new Map<number, number>()
  const nodeDir = path.join(root, 'sys/devices/system/node')
  const nodeNames = fs.existsSync(nodeDir) ? fs.readdirSync(nodeDir).filter((n) => /^node\d+$/.test(n)) : []
  for (const name of nodeNames.sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)))) {
    const id = Number(name.slice(4))
    const cpus = parseCpuList(read(root, `sys/devices/system/node/${name}/cpulist`) ?? '').filter((c) => onlineSet.has(c))
    const meminfo = read(root, `sys/devices/system/node/${name}/meminfo`) ?? ''
    const m = /MemTotal:\s+(\d+) kB/.exec(meminfo)
    nodes.push({ id, cpus, memoryBytes: m ? Number(m[1]) * 1024 : 0 })
    for (const c of cpus) nodeOf.set(c, id)
  }
  if (nodes.length === 0) nodes.push({ id: 0, cpus: [...online], memoryBytes: 0 })

  const cpus: Cpu[] = online.map((id) => {
    const topo = `${cpuDir}/cpu${id}/topology`
    const siblingsText = read(root, `${topo}/thread_siblings_list`) ?? read(root, `${topo}/core_cpus_list`)
    const siblings = siblingsText ? parseCpuList(siblingsText).filter((c) => onlineSet.has(c)) : [id]
    return {
      id,
      pkg: Number(read(root, `${topo}/physical_package_id`) ?? 0),
      core: Number(read(root, `${topo}/core_id`) ?? id),
      node: nodeOf.get(id) ?? 0,
      siblings: siblings.includes(id) ? siblings : [id, ...siblings].sort((a, b) => a - b),
    }
  })
  return { cpus, nodes: nodes.filter((n) => n.cpus.length > 0), smt: cpus.some((c) => c.siblings.length > 1) }
}

export interface FixtureCpu {
  id: number
  pkg: number
  core: number
  node: number
  siblings: number[]
  online?: boolean
}

/**
 * Writes a sysfs tree describing `cpus` under `root`: what the reader
 * reads, nothing more. For tests and for describing machines in bench runs.
 */
export function writeFixture(root: string, cpus: FixtureCpu[], nodeMemoryBytes = 8 * 1024 ** 3): void {
  const cpuDir = path.join(root, 'sys/devices/system/cpu')
  fs.mkdirSync(cpuDir, { recursive: true })
  const online = cpus.filter((c) => c.online !== false).map((c) => c.id)
  fs.writeFileSync(path.join(cpuDir, 'online'), formatCpuList(online) + '\n')
  for (const c of cpus) {
    const topo = path.join(cpuDir, `cpu${c.id}`, 'topology')
    if (c.online === false) {
      // An offline CPU keeps its directory but no topology.
      fs.mkdirSync(path.join(cpuDir, `cpu${c.id}`), { recursive: true })
      continue
    }
    fs.mkdirSync(topo, { recursive: true })
    fs.writeFileSync(path.join(topo, 'physical_package_id'), `${c.pkg}\n`)
    fs.writeFileSync(path.join(topo, 'core_id'), `${c.core}\n`)
    fs.writeFileSync(path.join(topo, 'thread_siblings_list'), formatCpuList(c.siblings) + '\n')
  }
  const byNode = new Map<number, number[]>()
  for (const c of cpus) byNode.set(c.node, [...(byNode.get(c.node) ?? []), c.id])
  for (const [node, ids] of byNode) {
    const dir = path.join(root, 'sys/devices/system/node', `node${node}`)
    fs.mkdirSync(dir, { recursive: true })
    fs.writeFileSync(path.join(dir, 'cpulist'), formatCpuList(ids) + '\n')
    fs.writeFileSync(path.join(dir, 'meminfo'), `Node ${node} MemTotal:       ${Math.floor(nodeMemoryBytes / 1024)} kB\n`)
  }
}
