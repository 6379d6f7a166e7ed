// SPDX-License-Identifier: Apache-2.0
// The simulator's kernels against each other, never against a clock: fused
// and unfused runs, every specialised kernel and the dense path on random
// states for every target and control position, the AVX2 and the portable
// build, and single precision against the recorded exact distributions.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t, { Test } from 'tap'

import { Circuit, Op, toRunnerInput, type RunOptions } from '../../daemon/circuit/ir'
import { runnerPath } from '../../daemon/native'
import { parseCircuit } from '../../daemon/qasm'
import { QASMBENCH } from '../helpers/daemon'

const RUNNER = runnerPath()

interface Dist {
  outcomes: number
  probabilities?: Record<string, number>
  top?: Record<string, number>
  bit_one_probability?: number[]
}

function run(c: Circuit, opts: Partial<RunOptions> = {}, env: Record<string, string> = {}): { dist: Dist; out: any } {
  const input = toRunnerInput(c, { shots: 0, seed: 1n, probabilities: true, threads: 1, ...opts })
  const r = spawnSync(RUNNER, [], { input, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20 })
  if (r.status !== 0) throw new Error(`z3bra-sim exited ${r.status}: ${r.stderr}`)
  const out = JSON.parse(r.stdout)
  return { dist: out.probabilities, out }
}

// The largest difference between two distributions of the same circuit:
// every listed outcome, or the marginals and the k-th largest probability
// of each top list (which outcomes rank first among equal ones is rounding).
function worst(t: Test, a: Dist, b: Dist, msg: string): number {
  let w = 0
  if (a.probabilities || b.probabilities) {
    const pa = a.probabilities ?? {}, pb = b.probabilities ?? {}
    for (const k of new Set([...Object.keys(pa), ...Object.keys(pb)])) w = Math.max(w, Math.abs((pa[k] ?? 0) - (pb[k] ?? 0)))
    return w
  }
  const ba = a.bit_one_probability!, bb = b.bit_one_probability!
  t.equal(ba.length, bb.length, `${msg}: marginal count`)
  for (let i = 0; i < ba.length; i++) w = Math.max(w, Math.abs(ba[i] - bb[i]))
  const ta = Object.values(a.top!).sort((x, y) => y - x), tb = Object.values(b.top!).sort((x, y) => y - x)
  t.equal(ta.length, tb.length, `${msg}: top length`)
  for (let i = 0; i < Math.min(ta.length, tb.length); i++) w = Math.max(w, Math.abs(ta[i] - tb[i]))
  return w
}

function close(t: Test, a: Dist, b: Dist, tol: number, msg: string) {
  const w = worst(t, a, b, msg)
  t.ok(w <= tol, `${msg}: largest difference ${w.toExponential(2)} (<= ${tol})`)
}

const circuits = fs
  .readdirSync(QASMBENCH)
  .filter((f) => f.endsWith('.qasm'))
  .map((f) => f.slice(0, -5))
  .sort()
  .filter((name) => !JSON.parse(fs.readFileSync(path.join(QASMBENCH, 'expected', `${name}.json`), 'utf8')).invalid)
const load = (name: string) => parseCircuit(fs.readFileSync(path.join(QASMBENCH, `${name}.qasm`), 'utf8'))
const expected = (name: string): Dist => JSON.parse(fs.readFileSync(path.join(QASMBENCH, 'expected', `${name}.json`), 'utf8'))

t.test('fused and unfused runs give the same probabilities on every QASMBench circuit (1e-12)', (t) => {
  t.ok(circuits.length >= 25, `${circuits.length} circuits`)
  for (const name of circuits) {
    const c = load(name)
    const unfused = run(c, { fusion: 0, threads: 0 })
    t.equal(unfused.out.stats.fused_ops, unfused.out.stats.gates, `${name}: unfused runs every gate`)
    for (const fusion of c.numQubits > 20 ? [undefined] : [undefined, 2, 5]) {
      const fused = run(c, { fusion, threads: 0 })
      close(t, fused.dist, unfused.dist, 1e-12, `${name} fusion ${fusion ?? 'auto'}`)
    }
  }
  t.end()
})

t.test('cache-blocked stages give the unstaged probabilities on every QASMBench circuit (1e-12)', (t) => {
  // Blocks of 3 to 6 qubits stand in for the 15 of a large state, so that
  // every circuit here is split into stages, in-place and copied, with
  // several low-qubit widths; Z3BRA_SIM_BLOCK_QUBITS=0 runs every step
  // directly.
  const off = { Z3BRA_SIM_BLOCK_QUBITS: '0' }
  let staged = 0
  for (const name of circuits) {
    const c = load(name)
    if (c.numQubits > 20) continue
    for (const fusion of [0, undefined]) {
      const ref = run(c, { fusion, threads: 0 }, off)
      t.equal(ref.out.stats.passes, ref.out.stats.fused_ops, `${name} fusion ${fusion ?? 'auto'}: unstaged, one pass per step`)
      for (const [block, low] of [
        [3, 1],
        [5, 2],
        [6, 4],
      ]) {
        const env = { Z3BRA_SIM_BLOCK_QUBITS: `${block}`, Z3BRA_SIM_STAGE_MIN_LOW: `${low}` }
        const got = run(c, { fusion, threads: 2 }, env)
        if (got.out.stats.passes < got.out.stats.fused_ops) staged++
        close(t, got.dist, ref.dist, 1e-12, `${name} fusion ${fusion ?? 'auto'} block ${block} low ${low}`)
      }
    }
  }
  t.ok(staged >= 20, `${staged} runs grouped steps into stages`)
  t.end()
})

t.test('a QFT and a GHZ circuit run in fewer passes than steps, with the same amplitudes', (t) => {
  const n = 12
  const head = `OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[${n}];\n`
  let qftText = head
  for (let j = n - 1; j >= 0; j--) {
    qftText += `h q[${j}];\n`
    for (let k = j - 1; k >= 0; k--) qftText += `cu1(pi/${2 ** (j - k)}) q[${k}],q[${j}];\n`
  }
  let ghzText = head + 'h q[0];\n'
  for (let i = 0; i + 1 < n; i++) ghzText += `cx q[${i}],q[${i + 1}];\n`
  const qft = parseCircuit(qftText)
  const ghz = parseCircuit(ghzText)
  for (const [label, c] of [
    ['qft', qft],
    ['ghz', ghz],
  ] as const) {
    for (const precision of ['double', 'single'] as const) {
      const ref = run(c, { precision }, { Z3BRA_SIM_BLOCK_QUBITS: '0' })
      const got = run(c, { precision, threads: 2 }, { Z3BRA_SIM_BLOCK_QUBITS: '8', Z3BRA_SIM_STAGE_MIN_LOW: '4' })
      t.ok(
        got.out.stats.passes < got.out.stats.fused_ops,
        `${label} ${precision}: ${got.out.stats.passes} passes for ${got.out.stats.fused_ops} steps`,
      )
      close(t, got.dist, ref.dist, precision === 'double' ? 1e-12 : 1e-6, `${label} ${precision}`)
    }
  }
  t.end()
})

t.test('the vector builds give the portable build\'s probabilities (1e-12)', (t) => {
  // Each build this CPU can run, by the name the runner reports: the
  // default choice, the AVX2 one below it, and the portable one.
  const builds = new Map<string, Record<string, string>>()
  for (const env of [{}, { Z3BRA_SIM_SIMD: 'avx2' }, { Z3BRA_SIM_SIMD: 'portable' }]) {
    const simd = run(load('bell_n4'), {}, env).out.build.simd
    if (!builds.has(simd)) builds.set(simd, env)
  }
  const portable = [...builds].find(([, env]) => env.Z3BRA_SIM_SIMD === 'portable')
  t.ok(portable && !portable[0].startsWith('avx'), `portable build named ${portable?.[0]}`)
  const vector = [...builds].filter(([name]) => name.startsWith('avx'))
  if (vector.length === 0) {
    t.skip(`this host runs no vector build: nothing to compare`)
    return t.end()
  }
  // The circuits of up to 20 qubits: past that the portable build only
  // repeats the same arithmetic for longer.
  for (const name of circuits) {
    const c = load(name)
    if (c.numQubits > 20) continue
    for (const fusion of [0, 5]) {
      const ref = run(c, { fusion }, portable![1])
      for (const [simd, env] of vector) close(t, run(c, { fusion }, env).dist, ref.dist, 1e-12, `${name} fusion ${fusion} ${simd}`)
    }
  }
  t.end()
})

t.test('single precision is within 1e-5 of the exact distributions', (t) => {
  for (const name of circuits) {
    const got = run(load(name), { precision: 'single', threads: 0 })
    t.equal(got.out.stats.precision, 'single', `${name}: precision reported`)
    const want = expected(name)
    // Rounding noise is not counted as outcomes that can happen.
    t.equal(got.dist.outcomes, want.outcomes, `${name}: outcomes`)
    if (want.probabilities) {
      // Outcomes at or under 1e-5 in one and absent from the other are fine.
      const a = got.dist.probabilities ?? {}
      let w = 0
      for (const k of new Set([...Object.keys(a), ...Object.keys(want.probabilities)])) {
        w = Math.max(w, Math.abs((a[k] ?? 0) - (want.probabilities[k] ?? 0)))
      }
      t.ok(w <= 1e-5, `${name}: largest difference ${w.toExponential(2)}`)
    } else {
      close(t, got.dist, want, 1e-5, name)
    }
  }
  t.end()
})

// A seeded generator, so a failure names a reproducible case.
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 15), z | 1)
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61)
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296
  }
}

// A random SU(2)-like unitary, dense (no zero entry).
function randomU(r: () => number): number[] {
  const th = 0.3 + 2.5 * r(), ph = 6.28 * r(), la = 6.28 * r()
  const c = Math.cos(th / 2), s = Math.sin(th / 2)
  return [c, 0, -Math.cos(la) * s, -Math.sin(la) * s, Math.cos(ph) * s, Math.sin(ph) * s, Math.cos(ph + la) * c, Math.sin(ph + la) * c]
}

function layer(n: number, r: () => number): Op[] {
  const ops: Op[] = []
  for (let q = 0; q < n; q++) ops.push({ kind: 'u', target: q, controls: [], matrix: randomU(r) })
  for (let q = 0; q + 1 < n; q++) ops.push({ kind: 'u', target: q + 1, controls: [q], matrix: [0, 0, 1, 0, 1, 0, 0, 0] })
  for (let q = 0; q < n; q++) ops.push({ kind: 'u', target: q, controls: [], matrix: randomU(r) })
  return ops
}

// The gate under test between a random state and a random mixing layer, so
// that a wrong phase shows in the probabilities too.
// ops on n qubits, then every qubit measured into its own clbit.
function measured(n: number, gates: Op[]): Circuit {
  const ops = [...gates]
  for (let q = 0; q < n; q++) ops.push({ kind: 'measure', qubit: q, clbit: q })
  return {
    version: '2.0',
    numQubits: n,
    numClbits: n,
    qregs: [{ name: 'q', size: n, offset: 0 }],
    cregs: [{ name: 'c', size: n, offset: 0 }],
    ops,
    gateCount: ops.length,
  }
}

function sandwich(n: number, gate: Op, seed: number): Circuit {
  const r = rng(seed)
  return measured(n, [...layer(n, r), gate, ...layer(n, r)])
}

const c = (re: number, im: number) => [re, im]
const e = (th: number) => c(Math.cos(th), Math.sin(th))
// One matrix of each kind a specialised kernel takes.
const KINDS: Record<string, number[]> = {
  x: [0, 0, 1, 0, 1, 0, 0, 0],
  y: [0, 0, 0, -1, 0, 1, 0, 0],
  anti: [...c(0, 0), ...e(0.7), ...e(-1.9), ...c(0, 0)],
  phase: [1, 0, 0, 0, 0, 0, ...e(0.61)],
  diagonal: [...e(0.3), 0, 0, 0, 0, ...e(-1.2)],
  dense: [0.6, 0.1, -0.3, 0.7348469228349535, 0.7, 0.3748, 0.5, -0.3],
}

function positions(n: number, k: number): number[][] {
  if (k === 0) return [[]]
  const out: number[][] = []
  for (const rest of positions(n, k - 1)) {
    for (let q = 0; q < n; q++) if (!rest.includes(q)) out.push([...rest, q])
  }
  return out
}

t.test('every specialised kernel agrees with the dense path on random states, at every position', (t) => {
  const N = 5
  const dense = { Z3BRA_SIM_KERNELS: 'dense' }
  let seed = 1
  let cases = 0
  const check = (gate: Op, what: string) => {
    const circ = sandwich(N, gate, seed++)
    for (const precision of gate.kind === 'u' && gate.controls.length === 2 ? (['double'] as const) : (['double', 'single'] as const)) {
      const tol = precision === 'double' ? 1e-12 : 1e-5
      const special = run(circ, { fusion: 0, precision }).dist
      const ref = run(circ, { fusion: 0, precision }, dense).dist
      const w = worst(t, special, ref, what)
      if (!(w <= tol)) t.fail(`${what} (${precision}): largest difference ${w}`)
    }
    cases++
  }
  for (const [kind, matrix] of Object.entries(KINDS)) {
    // No control, one, two (Toffoli-like for x), at every placement.
    for (let nc = 0; nc <= 2; nc++) {
      for (const qs of positions(N, nc + 1)) {
        check({ kind: 'u', target: qs[0], controls: qs.slice(1), matrix }, `${kind} on ${qs[0]} controls [${qs.slice(1)}]`)
      }
    }
  }
  for (let nc = 0; nc <= 1; nc++) {
    for (const qs of positions(N, nc + 2)) {
      if (qs[0] > qs[1]) continue
      check({ kind: 'swap', a: qs[0], b: qs[1], controls: qs.slice(2) }, `swap ${qs[0]},${qs[1]} controls [${qs.slice(2)}]`)
    }
  }
  const r = rng(99)
  for (const [q0, q1] of positions(N, 2)) {
    const m: number[] = []
    for (let i = 0; i < 32; i++) m.push(r() - 0.5)
    check({ kind: 'u2', q0, q1, matrix: m }, `u2 on ${q0},${q1}`)
  }
  t.pass(`${cases} cases`)
  t.end()
})

t.test('fused blocks of every size agree with unfused gates on random states (1e-12)', (t) => {
  const N = 7
  const r = rng(7)
  const ops: Op[] = []
  for (let d = 0; d < 6; d++) ops.push(...layer(N, r))
  const circ = measured(N, ops)
  const ref = run(circ, { fusion: 0 }).dist
  for (const fusion of [2, 3, 4, 5]) {
    for (const env of [{}, { Z3BRA_SIM_SIMD: 'avx2' }, { Z3BRA_SIM_SIMD: 'portable' }]) {
      const got = run(circ, { fusion }, env)
      t.ok(got.out.stats.fused_ops < got.out.stats.gates, `fusion ${fusion}: ${got.out.stats.fused_ops} steps for ${got.out.stats.gates} gates`)
      close(t, got.dist, ref, 1e-12, `fusion ${fusion} ${JSON.stringify(env)}`)
    }
  }
  // Complex float: fused blocks on qubits 0 and 1 (each of the three-product
  // kernel's gathers: qubit 1 lowest, qubit 0 without 1, qubits 0 and 1)
  // and above, in every build, against the double-precision unfused run.
  const low = [[0, 2, 3], [1, 2, 3], [0, 1, 2], [0, 1, 4, 5], [1, 3, 4, 6], [0, 2, 5, 6, 3]]
  const lowOps: Op[] = [...layer(N, r)]
  for (const qs of low) {
    for (const q of qs) lowOps.push({ kind: 'u', target: q, controls: [], matrix: randomU(r) })
    for (let j = 1; j < qs.length; j++) lowOps.push({ kind: 'u', target: qs[j], controls: [qs[j - 1]], matrix: randomU(r) })
  }
  const lowCirc = measured(N, [...lowOps, ...layer(N, r)])
  const lowRef = run(lowCirc, { fusion: 0 }).dist
  for (const fusion of [3, 4, 5]) {
    for (const env of [{}, { Z3BRA_SIM_SIMD: 'avx2' }, { Z3BRA_SIM_SIMD: 'portable' }]) {
      const got = run(lowCirc, { fusion, precision: 'single' }, env)
      t.equal(got.out.stats.precision, 'single')
      close(t, got.dist, lowRef, 1e-5, `single, fusion ${fusion} ${JSON.stringify(env)}`)
    }
  }
  t.end()
})

t.test('a padded state gives the plain layout\'s results bit for bit', (t) => {
  // Segments of 2^12 amplitudes stand in for the 256 MiB of a large state,
  // so that qubits 12 and 13 pair amplitudes across segment gaps. Both runs
  // use the same 12-qubit stage blocks, so they do the same arithmetic.
  const plain = { Z3BRA_SIM_SEGMENT_QUBITS: '0', Z3BRA_SIM_BLOCK_QUBITS: '12' }
  const padded = { Z3BRA_SIM_SEGMENT_QUBITS: '12', Z3BRA_SIM_BLOCK_QUBITS: '12' }
  const N = 14
  const r = rng(1234)
  const spots = [0, 1, 11, 12, 13]
  const gates: Op[] = [...layer(N, r)]
  let n = 0
  const add = (g: Op) => {
    gates.push(g)
    if (++n % 8 === 0) gates.push(...layer(N, r))
  }
  for (const matrix of Object.values(KINDS)) {
    for (let nc = 0; nc <= 2; nc++) {
      for (const qs of positions(spots.length, nc + 1)) {
        const q = qs.map((i) => spots[i])
        add({ kind: 'u', target: q[0], controls: q.slice(1), matrix })
      }
    }
  }
  for (const qs of positions(spots.length, 3)) {
    const q = qs.map((i) => spots[i])
    if (q[0] < q[1]) add({ kind: 'swap', a: q[0], b: q[1], controls: [q[2]] })
  }
  for (const [a, b] of positions(spots.length, 2)) {
    const m: number[] = []
    for (let i = 0; i < 32; i++) m.push(r() - 0.5)
    add({ kind: 'u2', q0: spots[a], q1: spots[b], matrix: m })
  }
  // A mid-circuit measure on a high qubit, a condition on it and a reset:
  // the branch copies, the collapse and the qubit probabilities.
  gates.push({ kind: 'measure', qubit: 13, clbit: 13 })
  gates.push({ kind: 'if', bits: [13], value: 1n, op: { kind: 'u', target: 12, controls: [], matrix: KINDS.x } })
  gates.push({ kind: 'reset', qubit: 12 }, ...layer(N, r))
  const circ = measured(N, gates)
  let compared = 0
  for (const precision of ['double', 'single'] as const) {
    for (const fusion of [0, undefined]) {
      for (const kernels of [{}, { Z3BRA_SIM_KERNELS: 'dense' }]) {
        const opts = { fusion, precision, threads: 2, shots: 3000, seed: 7n }
        const what = `${precision} fusion ${fusion ?? 'auto'} ${JSON.stringify(kernels)}`
        const a = run(circ, opts, { ...plain, ...kernels }).out
        const b = run(circ, opts, { ...padded, ...kernels }).out
        t.same(b.probabilities, a.probabilities, `${what}: probabilities`)
        t.same(b.counts, a.counts, `${what}: counts`)
        compared++
      }
    }
  }
  // And the QASMBench circuits past one such segment.
  for (const name of circuits) {
    const c = load(name)
    if (c.numQubits <= 12 || c.numQubits > 20) continue
    for (const fusion of [0, undefined]) {
      const opts = { fusion, threads: 2, shots: 1000 }
      const a = run(c, opts, plain).out
      const b = run(c, opts, padded).out
      t.same(b.probabilities, a.probabilities, `${name} fusion ${fusion ?? 'auto'}: probabilities`)
      t.same(b.counts, a.counts, `${name} fusion ${fusion ?? 'auto'}: counts`)
      compared++
    }
  }
  t.ok(compared >= 20, `${compared} runs compared`)
  t.end()
})
