// SPDX-License-Identifier: Apache-2.0
// Whole-circuit benchmark of z3bra-sim on bench/circuits/perf/ (QFT, random,
// GHZ) at N = 20..26 on 1 and 2 pinned threads, fused and unfused, complex128
// and (fused) complex64, each in floor passes: apply seconds divided by one
// in-place read+write pass of a complex128 state at the bandwidth measured
// in this same run with the same threads (bench/circuits/perf/README.md).
// Beside each cell: the peers' figures from that README and the targets of
// issue #3. Writes bench/results/perf-circuits.json. Not a test: nothing
// here asserts a time.
import { spawnSync, execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

import { getAffinity, packageRoot, runnerPath } from '../daemon/native'
import { runDirectly, writeResult } from './results'
import { toRunnerInput } from '../daemon/circuit/ir'
import { parseCircuit } from '../daemon/qasm'

const QUBITS = [20, 22, 24, 26]
const THREADS = [1, 2]
const CIRCUITS = ['qft', 'random', 'ghz'] as const
type Name = (typeof CIRCUITS)[number]

// Floor passes the peers spent (bench/circuits/perf/README.md), at N = 24 and
// 26: Aer fused, Aer unfused, QuEST, qsim (complex64, fused).
type Peers = { aer_fused: number; aer_unfused: number; quest: number; qsim_single: number }
const PEERS: Record<string, Peers> = {
  'qft/24/1': { aer_fused: 832, aer_unfused: 1409, quest: 527, qsim_single: 220 },
  'qft/24/2': { aer_fused: 623, aer_unfused: 342, quest: 376, qsim_single: 209 },
  'qft/26/1': { aer_fused: 1016, aer_unfused: 1752, quest: 637, qsim_single: 251 },
  'qft/26/2': { aer_fused: 758, aer_unfused: 372, quest: 513, qsim_single: 243 },
  'random/24/1': { aer_fused: 1044, aer_unfused: 2646, quest: 2542, qsim_single: 160 },
  'random/24/2': { aer_fused: 789, aer_unfused: 1572, quest: 1823, qsim_single: 169 },
  'random/26/1': { aer_fused: 1223, aer_unfused: 2832, quest: 3312, qsim_single: 170 },
  'random/26/2': { aer_fused: 914, aer_unfused: 1776, quest: 1909, qsim_single: 179 },
  'ghz/24/1': { aer_fused: 59, aer_unfused: 92, quest: 75, qsim_single: 16 },
  'ghz/24/2': { aer_fused: 44, aer_unfused: 31, quest: 61, qsim_single: 14 },
  'ghz/26/1': { aer_fused: 67, aer_unfused: 103, quest: 83, qsim_single: 18 },
  'ghz/26/2': { aer_fused: 45, aer_unfused: 35, quest: 60, qsim_single: 16 },
}
// Issue #3: complex128 at most half the fastest double-precision peer.
const TARGETS: Record<string, number> = {
  'qft/24/1': 264, 'qft/26/1': 318, 'qft/24/2': 171, 'qft/26/2': 186,
  'random/24/1': 522, 'random/26/1': 612, 'random/24/2': 395, 'random/26/2': 457,
  'ghz/24/1': 29, 'ghz/26/1': 33, 'ghz/24/2': 15, 'ghz/26/2': 17,
}

// Runs per cell (best kept): the machine is shared, so more where cheap.
const REPS: Record<number, number> = { 20: 5, 22: 3, 24: 2, 26: 1 }

interface Variant {
  label: string
  fusion?: number
  precision: 'double' | 'single'
  env?: Record<string, string>
}
// "unstaged" is the fused run with cache-blocked stages turned off: every
// fused step streams the whole state, as before stages existed.
const VARIANTS: Variant[] = [
  { label: 'fused', precision: 'double' },
  { label: 'unstaged', precision: 'double', env: { Z3BRA_SIM_BLOCK_QUBITS: '0' } },
  { label: 'unfused', fusion: 0, precision: 'double' },
  { label: 'fused', precision: 'single' },
]

function probe(n: number, threads: number): { seconds: number; gb_per_s: number } {
  const reps = Math.max(5, Math.min(40, Math.round(2 ** 27 / 2 ** n)))
  const out = JSON.parse(
    execFileSync(runnerPath(), ['bench', '--qubits', `${n}`, '--threads', `${threads}`, '--gate', 'bandwidth', '--reps', `${reps}`], {
      encoding: 'utf8',
    }),
  )
  return { seconds: out.seconds_per_op, gb_per_s: out.gb_per_s }
}

function runOnce(input: string, env?: Record<string, string>): any {
  const r = spawnSync(runnerPath(), [], { input, encoding: 'utf8', maxBuffer: 16 << 20, env: { ...process.env, ...env } })
  if (r.status !== 0) throw new Error(`z3bra-sim exited ${r.status}: ${r.stderr}`)
  return JSON.parse(r.stdout)
}

// Where Debian's linux-perf is installed: which hardware counters this
// machine exposes, and where one run of each circuit (N=24, one thread,
// fused, complex128) spends its time, from perf record's samples (the
// cpu-clock event when there are no counters). Undefined without perf.
function profile(dir: string, n: number): object | undefined {
  const which = spawnSync('sh', ['-c', 'command -v perf'], { encoding: 'utf8' })
  if (which.status !== 0) return undefined
  const stat = spawnSync('perf', ['stat', '-x', ',', '-e', 'cycles,instructions,cache-misses', '--', 'true'], { encoding: 'utf8' })
  const counters: Record<string, boolean> = {}
  for (const line of (stat.stderr ?? '').split('\n')) {
    const f = line.split(',')
    if (f.length > 2 && f[2]) counters[f[2].replace(/:u$/, '')] = !/not supported|not counted/.test(f[0])
  }
  const tmp = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'z3bra-perf-'))
  const circuits: Record<string, unknown> = {}
  try {
    for (const name of CIRCUITS) {
      const input = toRunnerInput(parseCircuit(fs.readFileSync(path.join(dir, `${name}_n${n}.qasm`), 'utf8')), {
        shots: 0,
        seed: 1n,
        probabilities: false,
        threads: 1,
        precision: 'double',
      })
      const data = path.join(tmp, `${name}.data`)
      const rec = spawnSync('perf', ['record', '-q', '-o', data, '--', runnerPath()], { input, encoding: 'utf8', maxBuffer: 16 << 20 })
      if (rec.status !== 0) {
        circuits[name] = { error: (rec.stderr || `perf record exited ${rec.status}`).trim().split('\n').pop() }
        continue
      }
      const rep = spawnSync('perf', ['report', '-i', data, '--no-children', '--stdio', '--sort', 'symbol'], { encoding: 'utf8', maxBuffer: 16 << 20 })
      const event = /of event '([^']+)'/.exec(rep.stdout ?? '')?.[1]
      const top = (rep.stdout ?? '')
        .split('\n')
        .map((l) => /^\s+([\d.]+)%\s+\[[.k]\]\s+(.*\S)\s*$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .slice(0, 6)
        .map((m) => ({
          percent: Number(m[1]),
          symbol: m[2]
            .replace(/\(anonymous namespace\)::/g, '')
            .split(/\s{2,}/)[0]
            .replace(/\(.*$/, '')
            .trim(),
        }))
      circuits[name] = { event, apply_seconds: JSON.parse(rec.stdout).stats.apply_seconds, top }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
  return { qubits: n, threads: 1, hardware_counters: counters, circuits }
}

export async function runPerfCircuitBench(opts: { qubits?: number[] } = {}): Promise<object> {
  const started = Date.now()
  const cpus = getAffinity(0)
  const dir = path.join(packageRoot(), 'bench', 'circuits', 'perf')
  const rows = []
  for (const n of opts.qubits ?? QUBITS) {
    const circuits = new Map<Name, ReturnType<typeof parseCircuit>>()
    for (const name of CIRCUITS) circuits.set(name, parseCircuit(fs.readFileSync(path.join(dir, `${name}_n${n}.qasm`), 'utf8')))
    for (const t of THREADS) {
      if (t > cpus.length) continue
      // The floor: the best of a probe before and one after the circuits.
      const before = probe(n, t)
      const cells = []
      for (const name of CIRCUITS) {
        for (const v of VARIANTS) {
          const input = toRunnerInput(circuits.get(name)!, {
            shots: 0,
            seed: 1n,
            probabilities: false,
            threads: t,
            fusion: v.fusion,
            precision: v.precision,
          })
          let best: any
          for (let r = 0; r < REPS[n]; r++) {
            const out = runOnce(input, v.env)
            if (!best || out.stats.apply_seconds < best.stats.apply_seconds) best = out
          }
          cells.push({ circuit: name, variant: v.label, precision: v.precision, stats: best.stats, simd: best.build.simd })
        }
      }
      const after = probe(n, t)
      const floor = Math.min(before.seconds, after.seconds)
      const passBytes = 32 * 2 ** n
      for (const c of cells) {
        const key = `${c.circuit}/${n}/${t}`
        const s = c.stats
        rows.push({
          circuit: c.circuit,
          qubits: n,
          threads: s.threads,
          variant: c.variant,
          precision: c.precision,
          apply_seconds: s.apply_seconds,
          init_seconds: s.init_seconds,
          floor_passes: s.apply_seconds / floor,
          gates: s.gates,
          fused_ops: s.fused_ops,
          passes: s.passes,
          peak_rss_bytes: s.peak_rss_bytes,
          // Profile: what each step costs per amplitude, and the bandwidth
          // the run would have reached had every step been one full pass.
          ns_per_amplitude_per_step: (s.apply_seconds / (2 ** n * s.fused_ops)) * 1e9,
          full_pass_gb_per_s: (passBytes * s.fused_ops) / s.apply_seconds / 1e9,
          floor_pass_seconds: floor,
          bandwidth_gb_per_s: passBytes / floor / 1e9,
          target_floor_passes: c.precision === 'double' && c.variant === 'fused' ? TARGETS[key] : undefined,
          peers: PEERS[key],
          simd: c.simd,
        })
      }
      console.log(
        `perf-circuits n=${n} t=${t}: floor ${(floor * 1e3).toFixed(2)} ms (${(passBytes / floor / 1e9).toFixed(1)} GB/s); ` +
          rows
            .filter((r) => r.qubits === n && r.threads === t)
            .map((r) => `${r.circuit}/${r.variant}/${r.precision} ${r.floor_passes.toFixed(0)}`)
            .join(', '),
      )
    }
  }
  const result = {
    benchmark: 'perf-circuits',
    unit: 'floor passes: apply_seconds / (32 * 2^N bytes at the in-place bandwidth of this run, same threads), best of reps',
    reps_per_cell: REPS,
    note:
      'apply_seconds covers fusion planning and every gate, not mapping and first touch of the state (init_seconds). ' +
      'The machine is shared; 2-thread cells and N=26 (one run per cell) are the noisiest. Single precision is divided by the complex128 floor, as qsim is in the peers table.',
    rows,
    profile: (opts.qubits ?? QUBITS).includes(24) ? profile(dir, 24) : undefined,
    run_seconds: (Date.now() - started) / 1000,
  }
  return result
}

if (require.main === module) {
  const qubits = process.argv.slice(2).map(Number).filter((x) => x > 0)
  runDirectly('perf-circuits', async () => writeResult('perf-circuits', await runPerfCircuitBench(qubits.length ? { qubits } : {})))
}
