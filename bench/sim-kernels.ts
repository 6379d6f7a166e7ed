// SPDX-License-Identifier: Apache-2.0
// Kernel benchmark of z3bra-sim: seconds per dense 1-qubit and 2-qubit gate
// at 20-26 qubits on 1 and 2 pinned threads, beside the in-place bandwidth
// pass of the same run, and each gate's cost in such floor passes. Writes
// bench/results/sim-kernels.json. Not a test: nothing here asserts a time.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import { buildInfo, getAffinity, packageRoot, runnerPath } from '../daemon/native'

const QUBITS = [20, 22, 24, 26]
const THREADS = [1, 2]
// Enough repetitions for ~0.1 s of work per point at every size.
const WORK_AMPLITUDES = 2 ** 26

interface Point {
  gate: '1q' | '2q' | 'bandwidth'
  qubits: number
  threads: number
  target: number
  target2?: number
  reps: number
  seconds_per_op: number
  gb_per_s: number
}

function bench(qubits: number, threads: number, gate: Point['gate'], target: number, target2?: number): Point {
  const reps = Math.max(3, Math.round(WORK_AMPLITUDES / 2 ** qubits) * 3)
  const args = ['bench', '--qubits', `${qubits}`, '--threads', `${threads}`, '--gate', gate, '--target', `${target}`, '--reps', `${reps}`]
  if (target2 !== undefined) args.push('--target2', `${target2}`)
  const out = JSON.parse(execFileSync(runnerPath(), args, { encoding: 'utf8' }))
  return { gate, qubits, threads: out.threads, target, target2, reps, seconds_per_op: out.seconds_per_op, gb_per_s: out.gb_per_s }
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
      const probe = bench(n, t, 'bandwidth', 0)
      const floor = probe.seconds_per_op
      const ratio = (p: Point) => ({ ...p, floor_passes: p.seconds_per_op / floor })
      const one = [0, n >> 1, n - 1].map((k) => ratio(bench(n, t, '1q', k)))
      const two = [[0, 1], [n >> 1, (n >> 1) + 1], [n - 2, n - 1]].map(([a, b]) => ratio(bench(n, t, '2q', a, b)))
      rows.push({
        qubits: n,
        threads: probe.threads,
        state_bytes: 16 * 2 ** n,
        bandwidth_gb_per_s: probe.gb_per_s,
        floor_pass_seconds: floor,
        gate_1q: one.map(({ target, seconds_per_op, floor_passes }) => ({ target, seconds_per_op, floor_passes })),
        gate_2q: two.map(({ target, target2, seconds_per_op, floor_passes }) => ({ targets: [target, target2], seconds_per_op, floor_passes })),
      })
    }
  }
  const result = {
    benchmark: 'sim-kernels',
    date: new Date().toISOString(),
    host: { cpu: os.cpus()[0]?.model ?? 'unknown', cpus_allowed: cpus, memory_bytes: os.totalmem(), kernel: os.release() },
    build: buildInfo(),
    note: 'seconds per dense gate (no special-case matrix); floor_passes = gate time / one in-place read+write pass of the state',
    rows,
    run_seconds: (Date.now() - started) / 1000,
  }
  const file = path.join(packageRoot(), 'bench', 'results', 'sim-kernels.json')
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n')
  return result
}

if (require.main === module) {
  runSimKernelBench().then(
    (r) => process.stdout.write(JSON.stringify(r, null, 2) + '\n'),
    (err) => {
      process.stderr.write(`sim-kernels: ${err.stack ?? err}\n`)
      process.exitCode = 1
    },
  )
}
