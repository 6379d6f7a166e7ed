// SPDX-License-Identifier: Apache-2.0
// A deliberately plain statevector simulator of the circuit IR, written for
// obviousness rather than speed, so that tests can check the front end's
// output against known outcome distributions. Measurements, resets and
// conditions before the final block of measurements are handled exactly by
// following every branch; the final block is read off the statevector.

import type { Circuit, Op } from '../../daemon/circuit/ir'

export interface State {
  re: Float64Array
  im: Float64Array
}

const hasBits = (i: number, qs: number[]): boolean => qs.every((q) => (i >> q) & 1)

export function zeroState(n: number): State {
  const s = { re: new Float64Array(1 << n), im: new Float64Array(1 << n) }
  s.re[0] = 1
  return s
}

export function applyU(s: State, t: number, controls: number[], m: number[]): void {
  const bit = 1 << t
  for (let i = 0; i < s.re.length; i++) {
    if (i & bit || !hasBits(i, controls)) continue
    const j = i | bit
    const ar = s.re[i], ai = s.im[i], br = s.re[j], bi = s.im[j]
    s.re[i] = m[0] * ar - m[1] * ai + m[2] * br - m[3] * bi
    s.im[i] = m[0] * ai + m[1] * ar + m[2] * bi + m[3] * br
    s.re[j] = m[4] * ar - m[5] * ai + m[6] * br - m[7] * bi
    s.im[j] = m[4] * ai + m[5] * ar + m[6] * bi + m[7] * br
  }
}

export function applySwap(s: State, a: number, b: number, controls: number[]): void {
  for (let i = 0; i < s.re.length; i++) {
    if (!((i >> a) & 1) || (i >> b) & 1 || !hasBits(i, controls)) continue
    const j = i ^ (1 << a) ^ (1 << b)
    ;[s.re[i], s.re[j]] = [s.re[j], s.re[i]]
    ;[s.im[i], s.im[j]] = [s.im[j], s.im[i]]
  }
}

export function applyU2(s: State, q0: number, q1: number, m: number[]): void {
  for (let base = 0; base < s.re.length; base++) {
    if ((base >> q0) & 1 || (base >> q1) & 1) continue
    const idx = [0, 1, 2, 3].map((k) => base | ((k & 1) << q0) | (((k >> 1) & 1) << q1))
    const vr = idx.map((i) => s.re[i])
    const vi = idx.map((i) => s.im[i])
    for (let r = 0; r < 4; r++) {
      let accR = 0
      let accI = 0
      for (let c = 0; c < 4; c++) {
        const mr = m[2 * (r * 4 + c)], mi = m[2 * (r * 4 + c) + 1]
        accR += mr * vr[c] - mi * vi[c]
        accI += mr * vi[c] + mi * vr[c]
      }
      s.re[idx[r]] = accR
      s.im[idx[r]] = accI
    }
  }
}

/** Apply a unitary op; throws on anything else. */
export function applyUnitary(s: State, op: Op): void {
  switch (op.kind) {
    case 'u': return applyU(s, op.target, op.controls, op.matrix)
    case 'swap': return applySwap(s, op.a, op.b, op.controls)
    case 'u2': return applyU2(s, op.q0, op.q1, op.matrix)
    default: throw new Error(`not a unitary op: ${op.kind}`)
  }
}

/** The state after every op of a measurement-free circuit, from |0...0>. */
export function run(c: Circuit, start?: State): State {
  const s = start ?? zeroState(c.numQubits)
  for (const op of c.ops) applyUnitary(s, op)
  return s
}

/** The circuit's unitary: column j is the image of basis state j. */
export function unitary(c: Circuit): State[] {
  const cols: State[] = []
  for (let j = 0; j < 1 << c.numQubits; j++) {
    const s = { re: new Float64Array(1 << c.numQubits), im: new Float64Array(1 << c.numQubits) }
    s.re[j] = 1
    cols.push(run(c, s))
  }
  return cols
}

interface Branch {
  s: State
  bits: Uint8Array
}

/** Keep only the part of the state where qubit q reads v (unnormalised). */
function project(s: State, q: number, v: number): State {
  const out = { re: s.re.slice(), im: s.im.slice() }
  for (let i = 0; i < out.re.length; i++) {
    if (((i >> q) & 1) !== v) {
      out.re[i] = 0
      out.im[i] = 0
    }
  }
  return out
}

const norm2 = (s: State): number => s.re.reduce((a, r, i) => a + r * r + s.im[i] * s.im[i], 0)

function readBits(bits: Uint8Array, which: number[]): bigint {
  let v = 0n
  which.forEach((b, k) => {
    if (bits[b]) v |= 1n << BigInt(k)
  })
  return v
}

function step(b: Branch, op: Op, out: Branch[]): void {
  if (op.kind === 'if') {
    if (readBits(b.bits, op.bits) === op.value) step(b, op.op, out)
    else out.push(b)
    return
  }
  if (op.kind === 'measure' || op.kind === 'reset') {
    const q = op.qubit
    for (const v of [0, 1]) {
      const s = project(b.s, q, v)
      if (norm2(s) < 1e-30) continue
      const bits = b.bits.slice()
      if (op.kind === 'measure') bits[op.clbit] = v
      else if (v === 1) applyU(s, q, [], [0, 0, 1, 0, 1, 0, 0, 0])
      out.push({ s, bits })
    }
    return
  }
  applyUnitary(b.s, op)
  out.push(b)
}

/** Outcome probabilities keyed as in shared/circuits/qasmbench/expected. */
export function distribution(c: Circuit): Map<string, number> {
  let last = c.ops.length
  while (last > 0 && c.ops[last - 1].kind === 'measure') last--
  let branches: Branch[] = [{ s: zeroState(c.numQubits), bits: new Uint8Array(c.numClbits) }]
  for (let k = 0; k < last; k++) {
    const next: Branch[] = []
    for (const b of branches) step(b, c.ops[k], next)
    branches = next
  }
  const terminal = c.ops.slice(last) as Extract<Op, { kind: 'measure' }>[]
  const order = [...c.cregs].reverse()
  const dist = new Map<string, number>()
  for (const b of branches) {
    for (let i = 0; i < b.s.re.length; i++) {
      const p = b.s.re[i] ** 2 + b.s.im[i] ** 2
      if (p === 0) continue
      const bits = b.bits.slice()
      for (const m of terminal) bits[m.clbit] = (i >> m.qubit) & 1
      const key = order
        .map((r) => {
          let g = ''
          for (let j = r.size - 1; j >= 0; j--) g += bits[r.offset + j]
          return g
        })
        .join(' ')
      dist.set(key, (dist.get(key) ?? 0) + p)
    }
  }
  return dist
}
