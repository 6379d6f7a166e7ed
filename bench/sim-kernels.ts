// SPDX-License-Identifier: Apache-2.0
// Kernel benchmark of z3bra-sim: seconds per dense 1-qubit and 2-qubit gate
// at 20-26 qubits on 1 and 2 pinned threads, beside the in-place bandwidth
// pass of the same run, and each gate's cost in such floor passes. Writes
// bench/results/sim-kernels.json. Not a test: nothing here asserts a time.
import { execFileSync } from 'node:child_process'
import os from 'node:os'

import { buildInfo, getAffinity, runnerPath } from '../daemon/native'
import { runDirectly, writeResult } from './results'

const QUBITS = [20, 22, 24, 26]
const THREADS = [1, 2]

function runner(args: string[], env: Record<string, string> = {}): any {
  return JSON.parse(execFileSync(runnerPath(), ['bench', ...args], { encoding: 'utf8', env: { ...process.env, ...env } }))
}

// The references run in the same pass: the plain layout (no segment gaps,
// state.h) for the targets at and above the 256 MiB segment, and the AVX2
// build for the 2q sweep where the default is the AVX-512VL-register one.
const PLAIN = { Z3BRA_SIM_SEGMENT_QUBITS: '0' }
const AVX2 = { Z3BRA_SIM_SIMD: 'avx2' }
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]

// Best-of repetitions per point: enough for ~0.1 s of kernel time at every
// size, and at least 6, so that a burst of a neighbour's load on this
// shared machine rarely spoils every repetition of a point.
const reps = (n: number) => Math.max(6, Math.min(20, Math.round(2 ** 26 / 2 ** n)))

interface SweepPoint {
  target: number
  target2?: number
  seconds_per_op: number
  floor_pass_seconds: number
  floor_passes: number
}

export async function runSimKernelBench(): Promise<object> {
  const started = Date.now()
  const cpus = getAffinity(0)
  const rows = []
  for (const n of QUBITS) {
    for (const t of THREADS) {
      if (t > cpus.length) continue
      // The probe first: a floor pass = 32 * 2^n bytes (read and write of
      // the whole vector) at the in-place bandwidth of this very setup.
      const common = ['--qubits', `${n}`, '--threads', `${t}`, '--reps', `${reps(n)}`]
      const probe = runner([...common, '--gate', 'bandwidth'])
      // Every target (1q) and every adjacent pair plus {0, n-1} (2q), each
      // beside its own bandwidth probe, through the runner's kernel choice.
      const one: SweepPoint[] = runner([...common, '--gate', '1q', '--sweep']).points
      const two = runner([...common, '--gate', '2q', '--sweep'])
      const worst = (ps: SweepPoint[]) => ps.reduce((w, p) => (p.floor_passes > w.floor_passes ? p : w))
      // Targets 24 and up pair halves 256 MiB or more apart (double).
      const far: SweepPoint[] = []
      for (let q = 24; q < n; q++) {
        const probePlain = runner([...common, '--gate', 'bandwidth'], PLAIN)
        const gate = runner([...common, '--gate', '1q', '--target', `${q}`], PLAIN)
        far.push({
          target: q,
          seconds_per_op: gate.seconds_per_op,
          floor_pass_seconds: probePlain.seconds_per_op,
          floor_passes: gate.seconds_per_op / probePlain.seconds_per_op,
        })
      }
      const twoAvx2 = two.simd === 'avx2+fma' ? null : runner([...common, '--gate', '2q', '--sweep'], AVX2)
      rows.push({
        qubits: n,
        threads: probe.threads,
        state_bytes: 16 * 2 ** n,
        bandwidth_gb_per_s: probe.gb_per_s,
        floor_pass_seconds: probe.seconds_per_op,
        simd: two.simd,
        worst_1q: worst(one),
        worst_2q: worst(two.points),
        median_1q: median(one.map((p) => p.floor_passes)),
        median_2q: median(two.points.map((p: SweepPoint) => p.floor_passes)),
        gate_1q: one,
        gate_2q: two.points,
        // References of the same run.
        plain_layout_1q: far,
        avx2_2q: twoAvx2 && { median: median(twoAvx2.points.map((p: SweepPoint) => p.floor_passes)), points: twoAvx2.points },
      })
      console.log(
        `sim-kernels n=${n} t=${probe.threads}: ${probe.gb_per_s.toFixed(1)} GB/s; worst 1q ${worst(one).floor_passes.toFixed(2)} ` +
          `(target ${worst(one).target}), worst 2q ${worst(two.points).floor_passes.toFixed(2)} ` +
          `(targets ${worst(two.points).target},${worst(two.points).target2})` +
          (far.length ? `; plain layout ${far.map((p) => `${p.target}:${p.floor_passes.toFixed(2)}`).join(' ')}` : '') +
          (twoAvx2 ? `; 2q median ${median(two.points.map((p: SweepPoint) => p.floor_passes)).toFixed(2)}, avx2 build ${median(twoAvx2.points.map((p: SweepPoint) => p.floor_passes)).toFixed(2)}` : ''),
      )
    }
  }
  const result = {
    benchmark: 'sim-kernels',
    date: new Date().toISOString(),
    host: { cpu: os.cpus()[0]?.model ?? 'unknown', cpus_allowed: cpus, memory_bytes: os.totalmem(), kernel: os.release() },
    build: buildInfo(),
    note:
      'seconds per unfused dense gate (no special-case matrix), best of reps, through the kernel the runner picks; ' +
      'floor_passes = gate time / one in-place read+write pass of the state, probed right before each point. ' +
      'Targets of issue #3: 1q within 1.2, 2q within 1.3 floor passes on every target. ' +
      'plain_layout_1q: the 1q gate on targets 24 and up with Z3BRA_SIM_SEGMENT_QUBITS=0 (no gaps between ' +
      '256 MiB segments), each beside its own probe; avx2_2q: the 2q sweep on the AVX2 build (Z3BRA_SIM_SIMD=avx2).',
    rows,
    run_seconds: (Date.now() - started) / 1000,
  }
  return result
}

if (require.main === module) {
  runDirectly('sim-kernels', async () => writeResult('sim-kernels', await runSimKernelBench()))
}
