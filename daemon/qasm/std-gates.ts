// SPDX-License-Identifier: Apache-2.0
// The native gate table behind `include "qelib1.inc"` (Qiskit's version),
// `include "stdgates.inc"` and the built-ins. Each gate writes primitive ops
// straight into a sink, so no library text is ever parsed at run time.

import {
  HAD, S, SDG, SX, SXDG, T, TDG, X, Y, Z, phaseMatrix, rxMatrix, rxxMatrix, ryMatrix, ryyMatrix,
  rzMatrix, rzxMatrix, rzzMatrix, scale, u3Matrix, type Mat,
} from './matrix'

/** Receives primitive ops; `decompose` asks for ops that can take controls. */
export interface Sink {
  readonly decompose: boolean
  u(target: number, m: Mat, controls: number[]): void
  swap(a: number, b: number, controls: number[]): void
  u2(q0: number, q1: number, m: Mat): void
  gphase(theta: number): void
}

export interface StdGate {
  params: number
  qubits: number
  emit(p: number[], q: number[], s: Sink): void
}

const NONE: number[] = []
const fixed = (m: Mat): StdGate => ({ params: 0, qubits: 1, emit: (_p, q, s) => s.u(q[0], m, NONE) })
const param1 = (f: (a: number) => Mat): StdGate =>
  ({ params: 1, qubits: 1, emit: (p, q, s) => s.u(q[0], f(p[0]), NONE) })
/** `base` on the last qubit, controlled by all the others. */
const controlled = (base: StdGate, nControls: number): StdGate => ({
  params: base.params,
  qubits: nControls + base.qubits,
  emit(p, q, s) {
    const inner: Sink = {
      decompose: s.decompose,
      u: (t, m, c) => s.u(t, m, [...q.slice(0, nControls), ...c]),
      swap: (a, b, c) => s.swap(a, b, [...q.slice(0, nControls), ...c]),
      u2() {
        throw new Error('a controlled standard gate has no two-qubit matrix')
      },
      gphase() {
        throw new Error('a controlled standard gate has no global phase')
      },
    }
    base.emit(p, q.slice(nControls), inner)
  },
})
const nothing = (params: number): StdGate => ({ params, qubits: 1, emit: () => undefined })

const u3: StdGate = { params: 3, qubits: 1, emit: (p, q, s) => s.u(q[0], u3Matrix(p[0], p[1], p[2]), NONE) }
const u2g: StdGate = {
  params: 2, qubits: 1, emit: (p, q, s) => s.u(q[0], u3Matrix(Math.PI / 2, p[0], p[1]), NONE),
}
const phase = param1(phaseMatrix)
const x = fixed(X)
const sx = fixed(SX)
const swap: StdGate = { params: 0, qubits: 2, emit: (_p, q, s) => s.swap(q[0], q[1], NONE) }
const cuBody: StdGate = {
  params: 4, qubits: 1, emit: (p, q, s) => s.u(q[0], scale(u3Matrix(p[0], p[1], p[2]), p[3]), NONE),
}

// A two-qubit rotation is one dense op, except where controls will be added:
// then it is written as Qiskit defines it, whose product is the same matrix.
function rotation2(
  matrix: (t: number) => Mat,
  viaRz: (t: number, a: number, b: number, s: Sink) => void,
): StdGate {
  return {
    params: 1,
    qubits: 2,
    emit(p, q, s) {
      if (s.decompose) viaRz(p[0], q[0], q[1], s)
      else s.u2(q[0], q[1], matrix(p[0]))
    },
  }
}
const zzCore = (t: number, a: number, b: number, s: Sink): void => {
  s.u(b, X, [a])
  s.u(b, rzMatrix(t), NONE)
  s.u(b, X, [a])
}
const conj = (pre: Mat, post: Mat, qs: number[], body: () => void, s: Sink): void => {
  for (const q of qs) s.u(q, pre, NONE)
  body()
  for (const q of qs) s.u(q, post, NONE)
}

// Qiskit's relative-phase Toffolis, op for op as qelib1.inc defines them.
const U2_0_PI = u3Matrix(Math.PI / 2, 0, Math.PI)
const P_PI4 = phaseMatrix(Math.PI / 4)
const P_MPI4 = phaseMatrix(-Math.PI / 4)
const rccx: StdGate = {
  params: 0,
  qubits: 3,
  emit(_p, [a, b, c], s) {
    s.u(c, U2_0_PI, NONE); s.u(c, P_PI4, NONE)
    s.u(c, X, [b]); s.u(c, P_MPI4, NONE)
    s.u(c, X, [a]); s.u(c, P_PI4, NONE)
    s.u(c, X, [b]); s.u(c, P_MPI4, NONE)
    s.u(c, U2_0_PI, NONE)
  },
}
const rc3x: StdGate = {
  params: 0,
  qubits: 4,
  emit(_p, [a, b, c, d], s) {
    s.u(d, U2_0_PI, NONE); s.u(d, P_PI4, NONE)
    s.u(d, X, [c]); s.u(d, P_MPI4, NONE)
    s.u(d, U2_0_PI, NONE)
    s.u(d, X, [a]); s.u(d, P_PI4, NONE)
    s.u(d, X, [b]); s.u(d, P_MPI4, NONE)
    s.u(d, X, [a]); s.u(d, P_PI4, NONE)
    s.u(d, X, [b]); s.u(d, P_MPI4, NONE)
    s.u(d, U2_0_PI, NONE); s.u(d, P_PI4, NONE)
    s.u(d, X, [c]); s.u(d, P_MPI4, NONE)
    s.u(d, U2_0_PI, NONE)
  },
}

const HALF_PI = Math.PI / 2
const RX_P = rxMatrix(HALF_PI)
const RX_M = rxMatrix(-HALF_PI)

/** Every standard gate by name; the include tables below pick from it. */
export const STD: Readonly<Record<string, StdGate>> = {
  U: u3, u3, u: u3, u2: u2g, u1: phase, p: phase, phase, u0: nothing(1), id: nothing(0),
  x, y: fixed(Y), z: fixed(Z), h: fixed(HAD), s: fixed(S), sdg: fixed(SDG), t: fixed(T),
  tdg: fixed(TDG), sx, sxdg: fixed(SXDG),
  rx: param1(rxMatrix), ry: param1(ryMatrix), rz: param1(rzMatrix),
  CX: controlled(x, 1), cx: controlled(x, 1), cy: controlled(fixed(Y), 1),
  cz: controlled(fixed(Z), 1), ch: controlled(fixed(HAD), 1),
  crx: controlled(param1(rxMatrix), 1), cry: controlled(param1(ryMatrix), 1),
  crz: controlled(param1(rzMatrix), 1), cu1: controlled(phase, 1), cp: controlled(phase, 1),
  cphase: controlled(phase, 1), cu3: controlled(u3, 1), csx: controlled(sx, 1),
  cu: controlled(cuBody, 1),
  swap, cswap: controlled(swap, 1),
  ccx: controlled(x, 2), c3x: controlled(x, 3), c4x: controlled(x, 4), c3sqrtx: controlled(sx, 3),
  rccx, rc3x,
  rxx: rotation2(rxxMatrix, (t, a, b, s) => conj(HAD, HAD, [a, b], () => zzCore(t, a, b, s), s)),
  ryy: rotation2(ryyMatrix, (t, a, b, s) => conj(RX_P, RX_M, [a, b], () => zzCore(t, a, b, s), s)),
  rzz: rotation2(rzzMatrix, zzCore),
  rzx: rotation2(rzxMatrix, (t, a, b, s) => conj(HAD, HAD, [b], () => zzCore(t, a, b, s), s)),
  gphase: { params: 1, qubits: 0, emit: (p, _q, s) => s.gphase(p[0]) },
}

/** The 23 gates of the original qelib1.inc: a file may not redefine these. */
export const QELIB1_CLASSIC = new Set([
  'u3', 'u2', 'u1', 'cx', 'id', 'x', 'y', 'z', 'h', 's', 'sdg', 't', 'tdg', 'rx', 'ry', 'rz',
  'cz', 'cy', 'ch', 'ccx', 'crz', 'cu1', 'cu3',
])

/** Qiskit's qelib1.inc: the classic set and the gates added to it since. */
export const QELIB1 = new Set([
  ...QELIB1_CLASSIC, 'u0', 'u', 'p', 'sx', 'sxdg', 'swap', 'cswap', 'crx', 'cry', 'cp', 'csx',
  'cu', 'rxx', 'rzz', 'rccx', 'rc3x', 'c3x', 'c3sqrtx', 'c4x',
])

export const STDGATES = new Set([
  'p', 'x', 'y', 'z', 'h', 's', 'sdg', 't', 'tdg', 'sx', 'rx', 'ry', 'rz', 'cx', 'cy', 'cz', 'cp',
  'crx', 'cry', 'crz', 'ch', 'swap', 'ccx', 'cswap', 'cu', 'CX', 'phase', 'cphase', 'id', 'u1',
  'u2', 'u3',
])

/**
 * Two-qubit rotations Qiskit uses that stdgates.inc lacks. They come with
 * the include, and a file that defines its own (as Qiskit's exporter does)
 * replaces them.
 */
export const STDGATES_EXTRA = new Set(['rxx', 'ryy', 'rzz', 'rzx'])

export const BUILTINS_V2 = new Set(['U', 'CX'])
export const BUILTINS_V3 = new Set(['U', 'gphase'])

/** Primitive ops a gate writes, plain and with `decompose`, for the op budget. */
export function stdCost(g: StdGate, decompose: boolean): number {
  let n = 0
  const count = (): void => {
    n++
  }
  const sink: Sink = { decompose, u: count, swap: count, u2: count, gphase: count }
  g.emit(new Array(g.params).fill(0), Array.from({ length: g.qubits }, (_, i) => i), sink)
  return n
}
