// SPDX-License-Identifier: Apache-2.0
// The local backend: one `z3bra-sim` process per job. The runner is born
// with the job's CPUs (it inherits the mask of the thread that forks it),
// waits on its standard input, is pinned again from outside, has its
// placement read back from /proc, and only then gets the circuit, so no work
// happens on a CPU the job was not given, and at no instant does /proc show
// a runner allowed onto another job's CPUs. A crash, cancel or timeout kills
// that process only.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { getAffinity, setAffinity } from '../native'
import type { Cpusets } from './cpuset'
import { readPlacement, formatCpuList } from './proc'

const STDERR_KEEP_BYTES = 16 * 1024

export interface RunnerOutput {
  counts?: Record<string, number>
  probabilities?: Record<string, unknown>
  stats: {
    gates: number
    ops: number
    // Absent from results stored before they were recorded.
    fused_ops?: number
    passes?: number
    apply_seconds: number
    wall_seconds: number
    peak_rss_bytes: number
    threads: number
    precision: string
  }
  cpus: number[]
  thread_cpus: number[]
  mems: string
  build: { simulator: string; compiler: string; flags: string; simd: string }
  seed: string
}

export type RunEnd =
  | { kind: 'ok'; output: RunnerOutput }
  | { kind: 'failed'; message: string }
  | { kind: 'killed'; signal: string }

export class RunnerError extends Error {}

/** A runner's placement as read back, in the shape of the proto's Placement. */
export interface Placement {
  cpus: number[]
  enforced_by: string
  cpus_allowed_list: string
  mems_allowed_list: string
  cpuset: string
  cpuset_cpus_effective: string
  cpuset_mems_effective: string
}

/**
 * Runs `start` (which forks) with the calling thread narrowed to `cpus`, so
 * the child exists with that mask from its first instruction; the thread's
 * own mask is restored before this returns, whatever `start` does.
 */
function spawnOn<T>(cpus: number[], start: () => T): T {
  const own = getAffinity(0)
  setAffinity(0, cpus)
  try {
    return start()
  } finally {
    setAffinity(0, own)
  }
}

/** One runner process, from spawn to exit. */
export class LocalRun {
  readonly child: ChildProcessWithoutNullStreams
  private stdout: Buffer[] = []
  private stderr = ''
  private readonly ended: Promise<RunEnd>

  /** Spawns the runner already confined to `cpus`. */
  constructor(runnerPath: string, cpus: number[]) {
    this.child = spawnOn(cpus, () => spawn(runnerPath, [], { stdio: ['pipe', 'pipe', 'pipe'] }))
    this.child.stdout.on('data', (b: Buffer) => this.stdout.push(b))
    this.child.stderr.on('data', (b: Buffer) => {
      if (this.stderr.length < STDERR_KEEP_BYTES) this.stderr += b.toString('utf8')
    })
    // A runner that dies before reading its input must not crash the daemon
    // with EPIPE.
    this.child.stdin.on('error', () => {})
    this.ended = new Promise((resolve) => {
      this.child.on('error', (err) => resolve({ kind: 'failed', message: `cannot start the runner: ${err.message}` }))
      this.child.on('close', (code, signal) => resolve(this.interpret(code, signal)))
    })
  }

  /** Resolves once the process exists (it then waits on stdin). */
  spawned(): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.child.pid !== undefined) return resolve(this.child.pid)
      this.child.once('spawn', () => resolve(this.child.pid!))
      this.child.once('error', reject)
    })
  }

  /**
   * Pins the waiting runner to `cpus`, moves it into the job's cpuset when
   * there are cpusets, and returns what the kernel then reports. Throws
   * unless every reading matches what was asked: a runner is never fed
   * with its placement half applied.
   */
  pin(cpus: number[], cpuset?: { sets: Cpusets; jobId: string; mems: string }): Placement {
    const pid = this.child.pid
    if (pid === undefined) throw new RunnerError('the runner has no pid')
    const want = formatCpuList(cpus)
    setAffinity(pid, cpus)
    let set: { path: string; cpusEffective: number[]; memsEffective: string } | undefined
    if (cpuset) {
      set = cpuset.sets.place(cpuset.jobId, pid, cpus, cpuset.mems)
      if (formatCpuList(set.cpusEffective) !== want) {
        throw new RunnerError(`the cpuset ${set.path} of runner ${pid} has effective CPUs ${formatCpuList(set.cpusEffective)}, not ${want}`)
      }
      if (set.memsEffective !== cpuset.mems) {
        throw new RunnerError(`the cpuset ${set.path} of runner ${pid} has effective memory nodes ${set.memsEffective}, not ${cpuset.mems}`)
      }
    }
    const placed = readPlacement(pid)
    if (formatCpuList(placed.cpus) !== want) {
      throw new RunnerError(`runner ${pid} was pinned to CPUs ${want} but /proc reads ${formatCpuList(placed.cpus)}`)
    }
    if (cpuset && placed.mems !== cpuset.mems) {
      throw new RunnerError(`runner ${pid} was bound to memory nodes ${cpuset.mems} but /proc reads ${placed.mems}`)
    }
    return {
      cpus: placed.cpus,
      enforced_by: cpuset ? `cpuset-${cpuset.sets.kind}` : 'affinity',
      cpus_allowed_list: formatCpuList(placed.cpus),
      mems_allowed_list: placed.mems,
      cpuset: set?.path ?? '',
      cpuset_cpus_effective: set ? formatCpuList(set.cpusEffective) : '',
      cpuset_mems_effective: set?.memsEffective ?? '',
    }
  }

  /** Hands the runner its input; it starts computing when it has read it all. */
  feed(input: string): void {
    this.child.stdin.end(input)
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal)
  }

  wait(): Promise<RunEnd> {
    return this.ended
  }

  private interpret(code: number | null, signal: NodeJS.Signals | null): RunEnd {
    if (signal) return { kind: 'killed', signal }
    const text = Buffer.concat(this.stdout).toString('utf8')
    let doc: unknown
    try {
      doc = JSON.parse(text)
    } catch {
      const why = this.stderr.trim() || `no output, exit code ${code}`
      return { kind: 'failed', message: `the runner failed: ${why}` }
    }
    const err = (doc as { error?: { code?: string; message?: string } }).error
    if (code !== 0 || err) {
      return { kind: 'failed', message: `the runner refused the job (${err?.code ?? `exit ${code}`}): ${err?.message ?? this.stderr.trim()}` }
    }
    return { kind: 'ok', output: doc as RunnerOutput }
  }
}
