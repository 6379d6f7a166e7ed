// SPDX-License-Identifier: Apache-2.0
// A cpuset per job, so the kernel itself keeps a runner (and every thread it
// makes) on the job's CPUs and its memory on the job's NUMA node. Where
// systemd delegates the daemon's cgroup (Delegate=yes) on the unified
// hierarchy, jobs get `job-<id>` children of it; where the cpuset controller
// sits on a legacy (v1) hierarchy the daemon can write, they get children
// of a per-state-dir folder there. Elsewhere only sched_setaffinity holds
// the runner, and the daemon says so.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { formatCpuList, parseCpuList } from './proc'

export type CpusetKind = 'cgroup2' | 'cgroup1'

/** What the kernel reports for a job's cpuset once the runner is in it. */
export interface CpusetPlacement {
  path: string
  cpusEffective: number[]
  memsEffective: string
}

export class CpusetError extends Error {}

function write(file: string, value: string): void {
  try {
    fs.writeFileSync(file, value)
  } catch (err) {
    throw new CpusetError(`cannot write "${value}" to ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
}

function readTrim(file: string): string {
  return fs.readFileSync(file, 'utf8').trim()
}

/** The daemon's own cgroup path on hierarchy `match`, from /proc/self/cgroup. */
function ownCgroup(procRoot: string, match: (controllers: string[], hierarchyId: string) => boolean): string | undefined {
  let text: string
  try {
    text = fs.readFileSync(path.join(procRoot, 'self', 'cgroup'), 'utf8')
  } catch {
    return undefined
  }
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line)
    if (m && match(m[2].split(','), m[1])) return m[3]
  }
  return undefined
}

export interface CpusetOptions {
  /** The folder cgroup hierarchies are mounted under; "/sys/fs/cgroup" on real hosts. */
  cgroupRoot: string
  procRoot: string
  stateDir: string
}

/** The cpusets of one daemon: where they live and how to make them. */
export class Cpusets {
  private constructor(
    readonly kind: CpusetKind,
    /** The folder that holds this daemon's `job-<id>` cpusets. */
    readonly base: string,
  ) {}

  /**
   * Finds a cpuset hierarchy this daemon may use, prepares its folder, and
   * returns null (with the reason) where there is none.
   */
  static open(o: CpusetOptions): { cpusets: Cpusets | null; reason: string } {
    const v2 = Cpusets.openUnified(o)
    if (v2.cpusets) return v2
    const v1 = Cpusets.openLegacy(o)
    if (v1.cpusets) return v1
    return { cpusets: null, reason: `${v2.reason}; ${v1.reason}` }
  }

  private static openUnified(o: CpusetOptions): { cpusets: Cpusets | null; reason: string } {
    const own = ownCgroup(o.procRoot, (c, id) => id === '0' && c.length === 1 && c[0] === '')
    const mount = fs.existsSync(path.join(o.cgroupRoot, 'cgroup.controllers')) ? o.cgroupRoot : path.join(o.cgroupRoot, 'unified')
    if (own === undefined || !fs.existsSync(path.join(mount, 'cgroup.controllers'))) {
      return { cpusets: null, reason: 'no unified cgroup hierarchy' }
    }
    // The daemon may only create cgroups below its own when systemd
    // delegated it (Delegate=yes); the root cgroup is never used.
    const mine = path.join(mount, own)
    if (own === '/' || !fs.existsSync(mine)) return { cpusets: null, reason: 'the daemon runs in the root cgroup (no Delegate=yes)' }
    const controllers = readTrim(path.join(mine, 'cgroup.controllers')).split(/\s+/)
    if (!controllers.includes('cpuset')) return { cpusets: null, reason: `no cpuset controller delegated to ${mine}` }
    try {
      // No process may stay in a cgroup that hands controllers to children:
      // the daemon moves itself into a leaf of its own first.
      const self = path.join(mine, 'agent')
      fs.mkdirSync(self, { recursive: true })
      for (const pid of readTrim(path.join(mine, 'cgroup.procs')).split('\n').filter(Boolean)) {
        write(path.join(self, 'cgroup.procs'), pid)
      }
      write(path.join(mine, 'cgroup.subtree_control'), '+cpuset')
    } catch (err) {
      return { cpusets: null, reason: `cannot take ${mine} for job cpusets: ${(err as Error).message}` }
    }
    return { cpusets: new Cpusets('cgroup2', mine), reason: '' }
  }

  private static openLegacy(o: CpusetOptions): { cpusets: Cpusets | null; reason: string } {
    const mount = path.join(o.cgroupRoot, 'cpuset')
    const own = ownCgroup(o.procRoot, (c) => c.includes('cpuset'))
    if (own === undefined || !fs.existsSync(path.join(mount, 'cpuset.cpus'))) {
      return { cpusets: null, reason: 'no legacy cpuset hierarchy' }
    }
    // One folder per state dir, so daemons on one host never touch each
    // other's job cpusets.
    const tag = crypto.createHash('sha256').update(path.resolve(o.stateDir)).digest('hex').slice(0, 12)
    const top = path.join(mount, own, 'z3bra')
    const base = path.join(top, `agent-${tag}`)
    try {
      for (const dir of [top, base]) {
        fs.mkdirSync(dir, { recursive: true })
        // A legacy cpuset takes no task until its CPUs and memory nodes are set.
        const parent = path.dirname(dir)
        if (readTrim(path.join(dir, 'cpuset.cpus')) === '') write(path.join(dir, 'cpuset.cpus'), readTrim(path.join(parent, 'cpuset.cpus')))
        if (readTrim(path.join(dir, 'cpuset.mems')) === '') write(path.join(dir, 'cpuset.mems'), readTrim(path.join(parent, 'cpuset.mems')))
      }
    } catch (err) {
      return { cpusets: null, reason: `cannot use the legacy cpuset hierarchy at ${mount}: ${(err as Error).message}` }
    }
    return { cpusets: new Cpusets('cgroup1', base), reason: '' }
  }

  pathOf(jobId: string): string {
    return path.join(this.base, `job-${jobId}`)
  }

  /**
   * Makes the job's cpuset, moves `pid` into it and reads the kernel's
   * effective CPUs and memory nodes back.
   */
  place(jobId: string, pid: number, cpus: number[], mems: string): CpusetPlacement {
    const dir = this.pathOf(jobId)
    fs.mkdirSync(dir, { recursive: true })
    write(path.join(dir, 'cpuset.cpus'), formatCpuList(cpus))
    write(path.join(dir, 'cpuset.mems'), mems)
    write(path.join(dir, 'cgroup.procs'), String(pid))
    const eff = this.kind === 'cgroup2' ? ['cpuset.cpus.effective', 'cpuset.mems.effective'] : ['cpuset.effective_cpus', 'cpuset.effective_mems']
    return {
      path: dir,
      cpusEffective: parseCpuList(readTrim(path.join(dir, eff[0]))),
      memsEffective: readTrim(path.join(dir, eff[1])),
    }
  }

  /** Removes a job's cpuset once no process is left in it; false if one is. */
  remove(jobId: string): boolean {
    const dir = this.pathOf(jobId)
    try {
      fs.rmdirSync(dir)
      return true
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ENOENT'
    }
  }

  /**
   * At a clean stop: the legacy per-state-dir folder goes once it holds no
   * job cpusets; a delegated cgroup2 subtree is systemd's and stays.
   */
  close(): void {
    if (this.kind !== 'cgroup1') return
    try {
      fs.rmdirSync(this.base)
    } catch {
      // A job cpuset that would not go is still inside; the next start takes it.
    }
  }

  /** Job ids that have a cpuset here, e.g. left by a daemon that died. */
  jobIds(): string[] {
    return fs
      .readdirSync(this.base, { withFileTypes: true })
      .filter((e) => e.isDirectory() && e.name.startsWith('job-'))
      .map((e) => e.name.slice(4))
  }

  /** Pids still in a job's cpuset. */
  pids(jobId: string): number[] {
    try {
      return readTrim(path.join(this.pathOf(jobId), 'cgroup.procs')).split('\n').filter(Boolean).map(Number)
    } catch {
      return []
    }
  }
}
