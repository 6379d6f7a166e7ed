// The z3bra-sim runner driven end to end with inputs written by
// toRunnerInput: exact probabilities, sampling, threads, pinning, errors.
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import t, { Test } from 'tap'

import { Circuit, Op, Register, Unitary1Op, toRunnerInput } from '../../daemon/circuit/ir'
import { runnerPath, setAffinity } from '../../daemon/native'

const RUNNER = runnerPath()
const H = Math.SQRT1_2
const MAT_H = [H, 0, H, 0, H, 0, -H, 0]
const MAT_X = [0, 0, 1, 0, 1, 0, 0, 0]

const h = (q: number): Op => ({ kind: 'u', target: q, controls: [], matrix: MAT_H })
const x = (q: number, controls: number[] = []): Unitary1Op => ({ kind: 'u', target: q, controls, matrix: MAT_X })
const ry = (q: number, theta: number): Op => ({
  kind: 'u',
  target: q,
  controls: [],
  matrix: [Math.cos(theta / 2), 0, -Math.sin(theta / 2), 0, Math.sin(theta / 2), 0, Math.cos(theta / 2), 0],
})
const measure = (qubit: number, clbit: number): Op => ({ kind: 'measure', qubit, clbit })

function regs(sizes: number[], prefix: string): Register[] {
  let offset = 0
  return sizes.map((size, k) => {
    const r = { name: `${prefix}${k}`, size, offset }
    offset += size
    return r
  })
}

function circuit(qubits: number, cregSizes: number[], ops: Op[]): Circuit {
  return {
    version: '2.0',
    numQubits: qubits,
    numClbits: cregSizes.reduce((a, b) => a + b, 0),
    qregs: [{ name: 'q', size: qubits, offset: 0 }],
    cregs: regs(cregSizes, 'c'),
    ops,
    gateCount: ops.length,
  }
}

interface Result {
  code: number | null
  out: any
  stderr: string
}

function runText(input: string, args: string[] = []): Result {
  const r = spawnSync(RUNNER, args, { input, encoding: 'utf8', maxBuffer: 64 << 20 })
  return { code: r.status, out: r.stdout ? JSON.parse(r.stdout) : undefined, stderr: r.stderr }
}

function run(c: Circuit, opts: { shots?: number; seed?: bigint; probabilities?: boolean; threads?: number } = {}): any {
  const r = runText(
    toRunnerInput(c, {
      shots: opts.shots ?? 0,
      seed: opts.seed ?? 7n,
      probabilities: opts.probabilities ?? true,
      threads: opts.threads ?? 0,
    }),
  )
  if (r.code !== 0) throw new Error(`runner exited ${r.code}: ${r.stderr}`)
  return r.out
}

function sameProbabilities(t: Test, got: Record<string, number>, want: Record<string, number>, msg: string) {
  t.strictSame(Object.keys(got).sort(), Object.keys(want).sort(), `${msg}: outcomes`)
  for (const k of Object.keys(want)) {
    t.ok(Math.abs(got[k] - want[k]) < 1e-12, `${msg}: P(${k}) = ${got[k]}, want ${want[k]}`)
  }
}

// Pearson's statistic against expected probabilities.
function chiSquare(counts: Record<string, number>, want: Record<string, number>, shots: number): number {
  let chi = 0
  for (const k of Object.keys(want)) {
    const e = want[k] * shots
    chi += ((counts[k] ?? 0) - e) ** 2 / e
  }
  return chi
}

const bell = circuit(2, [2], [h(0), x(1, [0]), measure(0, 0), measure(1, 1)])

t.test('a Bell pair has exact probabilities and plausible counts', (t) => {
  const out = run(bell, { shots: 4000 })
  const p = out.probabilities
  t.equal(p.qubits, 2)
  t.equal(p.clbits, 2)
  t.equal(p.key_format, 'registers last-declared first, separated by a space; highest bit first')
  t.equal(p.method, 'terminal')
  t.equal(p.outcomes, 2)
  sameProbabilities(t, p.probabilities, { '00': 0.5, '11': 0.5 }, 'bell')
  t.strictSame(Object.keys(out.counts).sort(), ['00', '11'])
  t.equal(out.counts['00'] + out.counts['11'], 4000)
  // 1 degree of freedom: 10.83 is the 0.1% tail.
  t.ok(chiSquare(out.counts, { '00': 0.5, '11': 0.5 }, 4000) < 10.83, 'chi-square within the 0.1% tail')
  t.equal(out.stats.gates, 2)
  t.equal(out.stats.ops, 4)
  t.equal(out.stats.precision, 'double')
  t.equal(out.seed, '7')
  t.match(out.build, { simulator: /^z3bra-sim /, compiler: /\S/, flags: /-O3/, simd: /^(avx2\+fma(\+avx512vl)?|sse2|generic|neon)$/ })
  t.end()
})

t.test('a GHZ state over 5 qubits has two outcomes of one half', (t) => {
  const ops: Op[] = [h(0)]
  for (let q = 1; q < 5; q++) ops.push(x(q, [q - 1]))
  for (let q = 0; q < 5; q++) ops.push(measure(q, q))
  const p = run(circuit(5, [5], ops)).probabilities
  sameProbabilities(t, p.probabilities, { '00000': 0.5, '11111': 0.5 }, 'ghz')
  t.end()
})

// The 3-qubit key of basis state with qubits set to 1 (register c0 of 3 bits).
const key3 = (...ones: number[]) => [2, 1, 0].map((q) => (ones.includes(q) ? '1' : '0')).join('')

t.test('a controlled X fires only when its control is 1, for each control and target position', (t) => {
  for (let c = 0; c < 3; c++) {
    for (let tg = 0; tg < 3; tg++) {
      if (c === tg) continue
      const m = [measure(0, 0), measure(1, 1), measure(2, 2)]
      const on = run(circuit(3, [3], [x(c), x(tg, [c]), ...m])).probabilities.probabilities
      sameProbabilities(t, on, { [key3(c, tg)]: 1 }, `control ${c} set, target ${tg}`)
      const off = run(circuit(3, [3], [x(tg, [c]), ...m])).probabilities.probabilities
      sameProbabilities(t, off, { '000': 1 }, `control ${c} clear, target ${tg}`)
    }
  }
  // Toffoli: two controls, with one of them clear and both set.
  const m = [measure(0, 0), measure(1, 1), measure(2, 2)]
  sameProbabilities(t, run(circuit(3, [3], [x(2), x(0, [2, 1]), ...m])).probabilities.probabilities, { [key3(2)]: 1 }, 'toffoli, one control')
  sameProbabilities(
    t,
    run(circuit(3, [3], [x(2), x(1), x(0, [1, 2]), ...m])).probabilities.probabilities,
    { [key3(0, 1, 2)]: 1 },
    'toffoli, both controls',
  )
  t.end()
})

t.test('swap exchanges two qubits, and a controlled swap only when its control is 1', (t) => {
  const m = [measure(0, 0), measure(1, 1), measure(2, 2)]
  const swap = (a: number, b: number, controls: number[] = []): Op => ({ kind: 'swap', a, b, controls })
  sameProbabilities(t, run(circuit(3, [3], [x(0), swap(0, 2), ...m])).probabilities.probabilities, { [key3(2)]: 1 }, 'swap 0 2')
  sameProbabilities(t, run(circuit(3, [3], [x(0), swap(2, 0, [1]), ...m])).probabilities.probabilities, { [key3(0)]: 1 }, 'fredkin, control clear')
  sameProbabilities(
    t,
    run(circuit(3, [3], [x(1), x(0), swap(0, 2, [1]), ...m])).probabilities.probabilities,
    { [key3(1, 2)]: 1 },
    'fredkin, control set',
  )
  // A superposition moves with the swap: ry on qubit 0, swapped onto qubit 2.
  const theta = 1.1
  sameProbabilities(
    t,
    run(circuit(3, [3], [ry(0, theta), swap(0, 2), ...m])).probabilities.probabilities,
    { '000': Math.cos(theta / 2) ** 2, '100': Math.sin(theta / 2) ** 2 },
    'swap of a superposition',
  )
  t.end()
})

t.test('u2 applies a 4x4 matrix with bit 0 on q0 and bit 1 on q1', (t) => {
  const theta = 0.8
  const c = Math.cos(theta / 2)
  const s = Math.sin(theta / 2)
  // rzz(theta) = diag(e^-i/2, e^i/2, e^i/2, e^-i/2); between H layers it
  // leaves cos^2(theta/2) on 00 and sin^2(theta/2) on 11.
  const rzz = new Array(32).fill(0)
  const diag: [number, number][] = [[c, -s], [c, s], [c, s], [c, -s]]
  diag.forEach(([re, im], k) => {
    rzz[8 * k + 2 * k] = re
    rzz[8 * k + 2 * k + 1] = im
  })
  const ops: Op[] = [h(0), h(1), { kind: 'u2', q0: 0, q1: 1, matrix: rzz }, h(0), h(1), measure(0, 0), measure(1, 1)]
  sameProbabilities(t, run(circuit(2, [2], ops)).probabilities.probabilities, { '00': c * c, '11': s * s }, 'rzz')
  // A CNOT as a 4x4 with control q0 (bit 0) and target q1 (bit 1): |01> <-> |11>.
  const cnot = new Array(32).fill(0)
  for (const [r, col] of [[0, 0], [1, 3], [2, 2], [3, 1]]) cnot[8 * r + 2 * col] = 1
  const m = [measure(0, 0), measure(1, 1), measure(2, 2)]
  sameProbabilities(t, run(circuit(3, [3], [x(0), { kind: 'u2', q0: 0, q1: 2, matrix: cnot }, ...m])).probabilities.probabilities, { [key3(0, 2)]: 1 }, 'u2 cnot, control set')
  sameProbabilities(t, run(circuit(3, [3], [x(2), { kind: 'u2', q0: 0, q1: 2, matrix: cnot }, ...m])).probabilities.probabilities, { [key3(2)]: 1 }, 'u2 cnot, control clear')
  t.end()
})

t.test('two registers give keys like "1 01": last-declared first, highest bit first', (t) => {
  const c = circuit(3, [2, 1], [x(0), x(2), measure(0, 0), measure(1, 1), measure(2, 2)])
  const out = run(c, { shots: 10 })
  sameProbabilities(t, out.probabilities.probabilities, { '1 01': 1 }, 'two registers')
  t.strictSame(out.counts, { '1 01': 10 })
  t.end()
})

t.test('mid-circuit measurement, reset and a condition are answered by branches', (t) => {
  // H q0; measure q0 -> a; reset q0; if (a == 1) x q1; measure q1 -> b0; measure q0 -> b1.
  const ops: Op[] = [
    h(0),
    measure(0, 0),
    { kind: 'reset', qubit: 0 },
    { kind: 'if', bits: [0], value: 1n, op: x(1) },
    measure(1, 1),
    measure(0, 2),
  ]
  const c = circuit(2, [1, 2], ops)
  const out = run(c, { shots: 2000 })
  t.equal(out.probabilities.method, 'branches')
  sameProbabilities(t, out.probabilities.probabilities, { '00 0': 0.5, '01 1': 0.5 }, 'reset and if')
  t.strictSame(Object.keys(out.counts).sort(), ['00 0', '01 1'])
  t.ok(chiSquare(out.counts, { '00 0': 0.5, '01 1': 0.5 }, 2000) < 10.83, 'chi-square within the 0.1% tail')

  // A measurement collapses: without it, H H would return qubit 0 to |0>.
  const collapse = circuit(1, [2], [h(0), measure(0, 0), h(0), measure(0, 1)])
  const co = run(collapse, { shots: 4000 })
  const quarter = { '00': 0.25, '01': 0.25, '10': 0.25, '11': 0.25 }
  sameProbabilities(t, co.probabilities.probabilities, quarter, 'collapse')
  t.ok(chiSquare(co.counts, quarter, 4000) < 16.27, 'chi-square (3 dof) within the 0.1% tail')

  // The condition reads the classical bits: value 0 on a bit that read 1 does nothing.
  const cond0 = circuit(2, [1, 1], [x(0), measure(0, 0), { kind: 'if', bits: [0], value: 0n, op: x(1) }, measure(1, 1)])
  sameProbabilities(t, run(cond0).probabilities.probabilities, { '0 1': 1 }, 'condition not met')
  t.end()
})

t.test('more than 4096 outcomes give the top 64 and bit marginals', (t) => {
  const ops: Op[] = []
  for (let q = 0; q < 14; q++) ops.push(h(q))
  for (let q = 0; q < 14; q++) ops.push(measure(q, q))
  const p = run(circuit(14, [14], ops), { threads: 2 }).probabilities
  t.equal(p.outcomes, 16384)
  t.notOk('probabilities' in p, 'no full list past 4096 outcomes')
  const keys = Object.keys(p.top)
  // All outcomes tie at 12 digits, so the lowest integers win, in order.
  t.strictSame(keys, Array.from({ length: 64 }, (_, k) => k.toString(2).padStart(14, '0')))
  for (const k of keys) t.ok(Math.abs(p.top[k] - 2 ** -14) < 1e-12, `P(${k})`)
  t.equal(p.bit_one_probability.length, 14)
  for (const b of p.bit_one_probability) t.ok(Math.abs(b - 0.5) < 1e-12, `bit marginal ${b}`)

  // Fewer measured qubits than qubits, into reversed clbits: the marginal
  // path. Bit 0 of the key is qubit 15; qubit 0 (ry) is never measured.
  const ops2: Op[] = [ry(0, 0.3), ry(15, 2 * Math.acos(Math.sqrt(0.9)))]
  for (let q = 1; q < 15; q++) ops2.push(h(q))
  for (let q = 2; q <= 15; q++) ops2.push(measure(q, 15 - q))
  const p2 = run(circuit(16, [16], ops2)).probabilities
  t.equal(p2.outcomes, 2 ** 14)
  t.equal(p2.bit_one_probability.length, 16)
  t.ok(Math.abs(p2.bit_one_probability[0] - 0.1) < 1e-12, 'clbit 0 holds qubit 15')
  for (let c = 1; c < 14; c++) t.ok(Math.abs(p2.bit_one_probability[c] - 0.5) < 1e-12, `clbit ${c}`)
  t.strictSame(p2.bit_one_probability.slice(14), [0, 0], 'unmeasured clbits read 0')
  // The most likely outcomes have clbit 0 = 0 (0.9), ranked by integer.
  t.strictSame(Object.keys(p2.top).slice(0, 2), ['0000000000000000', '0000000000000010'])
  t.ok(Math.abs(p2.top['0000000000000000'] - 0.9 * 2 ** -13) < 1e-12)
  t.end()
})

t.test('counts depend on the seed only, not on the number of threads', (t) => {
  // 15 qubits: above the size at which the runner goes multi-threaded.
  const ops: Op[] = []
  for (let q = 0; q < 15; q++) ops.push(ry(q, 0.3 + 0.17 * q))
  for (let q = 1; q < 15; q++) ops.push(x(q, [q - 1]))
  for (let q = 0; q < 15; q++) ops.push(measure(q, q))
  const c = circuit(15, [15], ops)
  const a = run(c, { shots: 3000, seed: 11n, probabilities: false, threads: 1 })
  const b = run(c, { shots: 3000, seed: 11n, probabilities: false, threads: 1 })
  t.strictSame(a.counts, b.counts, 'same seed, same counts')
  t.equal(a.stats.threads, 1)
  const other = run(c, { shots: 3000, seed: 12n, probabilities: false, threads: 1 })
  t.notSame(a.counts, other.counts, 'another seed, other counts')
  if (os.availableParallelism() >= 2) {
    const two = run(c, { shots: 3000, seed: 11n, probabilities: false, threads: 2 })
    t.equal(two.stats.threads, 2)
    t.equal(two.thread_cpus.length, 2)
    t.strictSame(two.counts, a.counts, '1 and 2 threads, same counts')
  }
  // The trajectory path (mid-circuit measurement) too.
  const mid = circuit(15, [15], [...ops.slice(0, 15), measure(0, 0), h(0), ...ops.slice(15)])
  const m1 = run(mid, { shots: 200, seed: 5n, probabilities: false, threads: 1 })
  const m2 = run(mid, { shots: 200, seed: 5n, probabilities: false, threads: 2 })
  t.strictSame(m1.counts, m2.counts, 'trajectories: 1 and 2 threads, same counts')
  t.end()
})

t.test('the runner reports the CPUs it was pinned to before it read its input', async (t) => {
  const child = spawn(RUNNER, [], { stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  child.stdout.on('data', (d) => (stdout += d))
  const done = new Promise<number | null>((resolve) => child.on('close', resolve))
  setAffinity(child.pid!, [0])
  const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8')
  t.equal(/Cpus_allowed_list:\s*(\S+)/.exec(status)?.[1], '0', '/proc shows the mask the test set')
  child.stdin.end(toRunnerInput(circuit(15, [1], [h(0), measure(0, 0)]), { shots: 1, seed: 1n, probabilities: false, threads: 0 }))
  t.equal(await done, 0)
  const out = JSON.parse(stdout)
  t.strictSame(out.cpus, [0])
  t.strictSame(out.thread_cpus, [0])
  t.equal(out.stats.threads, 1)
  t.equal(typeof out.mems, 'string')
  t.match(out.mems, /^\d/)
})

t.test('taskset pins the runner too', { skip: os.availableParallelism() < 2 && 'needs two CPUs' }, (t) => {
  const input = toRunnerInput(circuit(15, [1], [h(0), measure(0, 0)]), { shots: 1, seed: 1n, probabilities: false, threads: 0 })
  const r = spawnSync('taskset', ['-c', '1', RUNNER], { input, encoding: 'utf8' })
  t.equal(r.status, 0)
  const out = JSON.parse(r.stdout)
  t.strictSame(out.cpus, [1])
  t.strictSame(out.thread_cpus, [1])
  t.end()
})

t.test('malformed input exits 2 with a BAD_INPUT error naming the line', (t) => {
  const good = toRunnerInput(bell, { shots: 1, seed: 1n, probabilities: false, threads: 0 }).split('\n')
  const cases: [string, string[], RegExp | string][] = [
    ['short matrix', good.map((l, k) => (k === 9 ? 'u 0 0 1 0 0 0 0 1' : l)), 'line 10: expected 8 matrix entries, found 6'],
    ['qubit out of range', good.map((l, k) => (k === 11 ? 'measure 2 0' : l)), /^line 12: qubit 2 out of range/],
    ['clbit out of range', good.map((l, k) => (k === 11 ? 'measure 0 9' : l)), /^line 12: classical bit 9 out of range/],
    ['unknown op', good.map((l, k) => (k === 11 ? 'frobnicate 0' : l)), "line 12: unknown op 'frobnicate'"],
    ['bad number', good.map((l, k) => (k === 9 ? 'u 0 0 1 0 0 0 0 0 1 x' : l)), /^line 10: expected a finite matrix entry, found 'x'/],
    ['missing end', good.slice(0, 13), /^unexpected end of input: expected 'end'/],
    ['wrong header', ['z3bra-ir 2', ...good.slice(1)], /^line 1: unsupported input version/],
    ['repeated qubit', good.map((l, k) => (k === 10 ? 'u 1 1 1 0 0 1 0 1 0 0 0' : l)), 'line 11: qubit 1 appears twice in one op'],
  ]
  for (const [name, lines, message] of cases) {
    const r = runText(lines.join('\n'))
    t.equal(r.code, 2, `${name}: exit 2`)
    t.equal(r.out.error.code, 'BAD_INPUT', `${name}: code`)
    if (typeof message === 'string') t.equal(r.out.error.message, message, `${name}: message`)
    else t.match(r.out.error.message, message, `${name}: message`)
    t.match(r.stderr, r.out.error.message, `${name}: message on stderr`)
  }
  const garbage = runText('\u0000\u0001 not an input at all')
  t.equal(garbage.code, 2)
  t.end()
})

t.test('a malformed environment knob stops the runner with BAD_ENVIRONMENT before any work', (t) => {
  const input = toRunnerInput(bell, { shots: 1, seed: 1n, probabilities: false, threads: 0 })
  const cases: [Record<string, string>, string][] = [
    [{ Z3BRA_SIM_SIMD: 'avx3' }, 'Z3BRA_SIM_SIMD=avx3: expected portable or avx2 (or unset)'],
    [{ Z3BRA_SIM_KERNELS: 'sparse' }, 'Z3BRA_SIM_KERNELS=sparse: expected dense (or unset)'],
    [{ Z3BRA_SIM_SEGMENT_QUBITS: 'abc' }, 'Z3BRA_SIM_SEGMENT_QUBITS=abc: expected a whole number from 0 to 40'],
    [{ Z3BRA_SIM_SEGMENT_QUBITS: '5' }, 'Z3BRA_SIM_SEGMENT_QUBITS=5: expected 0 (the plain layout) or 12 to 40'],
    [{ Z3BRA_SIM_SEGMENT_GAP: '-1' }, 'Z3BRA_SIM_SEGMENT_GAP=-1: expected a whole number from 0 to 1073741824'],
    [{ Z3BRA_SIM_BLOCK_QUBITS: '12x' }, 'Z3BRA_SIM_BLOCK_QUBITS=12x: expected a whole number from 0 to 40'],
    [{ Z3BRA_SIM_STAGE_MIN_LOW: '41' }, 'Z3BRA_SIM_STAGE_MIN_LOW=41: expected a whole number from 0 to 40'],
    [{ Z3BRA_SIM_PROFILE: 'yes' }, 'Z3BRA_SIM_PROFILE=yes: expected a whole number from 0 to 1'],
  ]
  for (const [env, message] of cases) {
    const r = spawnSync(RUNNER, [], { input, encoding: 'utf8', env: { ...process.env, ...env } })
    t.equal(r.status, 1, `${message}: exit 1`)
    t.same(JSON.parse(r.stdout), { error: { code: 'BAD_ENVIRONMENT', message } }, `${message}: the error alone`)
  }
  // Empty means unset; a good value runs.
  const ok = spawnSync(RUNNER, [], { input, encoding: 'utf8', env: { ...process.env, Z3BRA_SIM_BLOCK_QUBITS: '', Z3BRA_SIM_SIMD: 'avx2' } })
  t.equal(ok.status, 0, ok.stderr)
  t.equal(JSON.parse(ok.stdout).stats.gates, 2)
  t.end()
})

t.test('a state too large for memory exits 3 with NO_MEMORY and the bytes needed', (t) => {
  const r = runText(toRunnerInput(circuit(50, [], []), { shots: 0, seed: 1n, probabilities: false, threads: 0 }))
  t.equal(r.code, 3)
  t.equal(r.out.error.code, 'NO_MEMORY')
  t.match(r.out.error.message, /18014398509481984 bytes/)
  t.end()
})

t.test('branch enumeration past its memory cap is refused with exit 2', (t) => {
  const ops: Op[] = []
  for (let q = 0; q < 3; q++) ops.push(h(q), measure(q, q), h(q))
  const input = toRunnerInput(circuit(3, [3], ops), { shots: 0, seed: 1n, probabilities: true, threads: 0 })
  // A branch of 3 qubits costs a whole 4 KiB page for its 128-byte state
  // plus 512 bytes of bookkeeping.
  const branchBytes = 4096 + 512
  const capped = runText(input, ['--branch-memory', String(branchBytes * 4)])
  t.equal(capped.code, 2)
  t.equal(capped.out.error.message, 'probabilities for this circuit need more than 4 measurement branches')
  const enough = runText(input, ['--branch-memory', String(branchBytes * 8)])
  t.equal(enough.code, 0)
  t.equal(enough.out.probabilities.outcomes, 8)
  t.end()
})
