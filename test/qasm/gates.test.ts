// SPDX-License-Identifier: Apache-2.0
// Every standard gate against Qiskit's matrix, written out here from the
// textbook formulas (not from the gate table), and read back through the
// reference simulator so that the qubit order is checked too: basis index
// bit 0 is the gate's first qubit argument.

import t from 'tap'
import { parseCircuit } from '../../daemon/qasm'
import { unitary } from '../helpers/ref-sim'

type C = [number, number]
type M = C[][]
const c = (re: number, im = 0): C => [re, im]
const cis = (a: number): C => [Math.cos(a), Math.sin(a)]
const mul = (a: C, b: C): C => [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]]
const add = (a: C, b: C): C => [a[0] + b[0], a[1] + b[1]]

function matmul(a: M, b: M): M {
  return a.map((row, i) => b[0].map((_, j) => row.reduce((acc, _x, k) => add(acc, mul(a[i][k], b[k][j])), c(0))))
}
const scaleM = (m: M, s: C): M => m.map((r) => r.map((x) => mul(x, s)))
/** kron(a, b) with b on the lower index bit. */
const kron = (a: M, b: M): M =>
  Array.from({ length: a.length * b.length }, (_, i) => Array.from({ length: a.length * b.length }, (_, j) =>
    mul(a[Math.floor(i / b.length)][Math.floor(j / b.length)], b[i % b.length][j % b.length])))
const eye = (n: number): M => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => c(i === j ? 1 : 0)))

/** m on `target` when every control bit is 1, in a k-qubit space. */
function controlled(k: number, controls: number[], target: number, m: M): M {
  const n = 1 << k
  const out: M = eye(n).map((r) => r.map(() => c(0)))
  for (let j = 0; j < n; j++) {
    if (!controls.every((q) => (j >> q) & 1)) {
      out[j][j] = c(1)
      continue
    }
    const b = (j >> target) & 1
    for (const v of [0, 1]) out[(j & ~(1 << target)) | (v << target)][j] = m[v][b]
  }
  return out
}

const H = Math.SQRT1_2
const X: M = [[c(0), c(1)], [c(1), c(0)]]
const Y: M = [[c(0), c(0, -1)], [c(0, 1), c(0)]]
const Z: M = [[c(1), c(0)], [c(0), c(-1)]]
const HM: M = [[c(H), c(H)], [c(H), c(-H)]]
const phase = (l: number): M => [[c(1), c(0)], [c(0), cis(l)]]
const u3 = (th: number, ph: number, l: number): M => [
  [c(Math.cos(th / 2)), mul(cis(l), c(-Math.sin(th / 2)))],
  [mul(cis(ph), c(Math.sin(th / 2))), mul(cis(ph + l), c(Math.cos(th / 2)))],
]
const rx = (th: number): M => [[c(Math.cos(th / 2)), c(0, -Math.sin(th / 2))], [c(0, -Math.sin(th / 2)), c(Math.cos(th / 2))]]
const ry = (th: number): M => [[c(Math.cos(th / 2)), c(-Math.sin(th / 2))], [c(Math.sin(th / 2)), c(Math.cos(th / 2))]]
const rz = (l: number): M => [[cis(-l / 2), c(0)], [c(0), cis(l / 2)]]
const SX: M = [[c(0.5, 0.5), c(0.5, -0.5)], [c(0.5, -0.5), c(0.5, 0.5)]]
const dag = (m: M): M => m[0].map((_, i) => m.map((r) => [r[i][0], -r[i][1]] as C))
/** exp(-i th/2 P) for a Hermitian, involutory P. */
const pauliRot = (th: number, p: M): M =>
  eye(p.length).map((r, i) => r.map((x, j) => add(mul(x, c(Math.cos(th / 2))), mul(p[i][j], c(0, -Math.sin(th / 2))))))
const SWAP: M = [[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]].map((r) => r.map((x) => c(x)))

const [A, B, L, G] = [0.7, -1.3, 2.1, 0.4]

// name(args), qubit count, expected matrix
const table: [string, number, M][] = [
  [`U(${A},${B},${L})`, 1, u3(A, B, L)], [`u3(${A},${B},${L})`, 1, u3(A, B, L)], [`u(${A},${B},${L})`, 1, u3(A, B, L)],
  [`u2(${B},${L})`, 1, u3(Math.PI / 2, B, L)], [`u1(${L})`, 1, phase(L)], [`p(${L})`, 1, phase(L)],
  [`u0(${A})`, 1, eye(2)], ['id', 1, eye(2)], ['x', 1, X], ['y', 1, Y], ['z', 1, Z], ['h', 1, HM],
  ['s', 1, phase(Math.PI / 2)], ['sdg', 1, phase(-Math.PI / 2)], ['t', 1, phase(Math.PI / 4)],
  ['tdg', 1, phase(-Math.PI / 4)], [`rx(${A})`, 1, rx(A)], [`ry(${A})`, 1, ry(A)], [`rz(${A})`, 1, rz(A)],
  ['sx', 1, SX], ['sxdg', 1, dag(SX)],
  ['CX', 2, controlled(2, [0], 1, X)], ['cx', 2, controlled(2, [0], 1, X)], ['cy', 2, controlled(2, [0], 1, Y)],
  ['cz', 2, controlled(2, [0], 1, Z)], ['ch', 2, controlled(2, [0], 1, HM)],
  [`crx(${A})`, 2, controlled(2, [0], 1, rx(A))], [`cry(${A})`, 2, controlled(2, [0], 1, ry(A))],
  [`crz(${A})`, 2, controlled(2, [0], 1, rz(A))], [`cu1(${L})`, 2, controlled(2, [0], 1, phase(L))],
  [`cp(${L})`, 2, controlled(2, [0], 1, phase(L))], [`cu3(${A},${B},${L})`, 2, controlled(2, [0], 1, u3(A, B, L))],
  ['csx', 2, controlled(2, [0], 1, SX)],
  [`cu(${A},${B},${L},${G})`, 2, controlled(2, [0], 1, scaleM(u3(A, B, L), cis(G)))],
  ['swap', 2, SWAP], ['cswap', 3, kron(SWAP, eye(2)).map(() => []) as M],
  ['ccx', 3, controlled(3, [0, 1], 2, X)], ['c3x', 4, controlled(4, [0, 1, 2], 3, X)],
  ['c4x', 5, controlled(5, [0, 1, 2, 3], 4, X)], ['c3sqrtx', 4, controlled(4, [0, 1, 2], 3, SX)],
  [`rxx(${A})`, 2, pauliRot(A, kron(X, X))], [`rzz(${A})`, 2, pauliRot(A, kron(Z, Z))],
]
// cswap: swap qubits 1 and 2 when qubit 0 is 1, written by basis permutation.
table.find((r) => r[0] === 'cswap')![2] = eye(8).map((_, i) => eye(8)[((i & 1) && (((i >> 1) & 1) !== ((i >> 2) & 1))) ? i ^ 6 : i])

function circuitMatrix(src: string, k: number): M {
  const cols = unitary(parseCircuit(src))
  return Array.from({ length: 1 << k }, (_, i) => cols.map((col) => c(col.re[i], col.im[i])))
}

function close(t: Tap.Test, got: M, want: M, what: string, tol = 1e-12): void {
  let worst = 0
  for (let i = 0; i < want.length; i++) {
    for (let j = 0; j < want.length; j++) {
      worst = Math.max(worst, Math.hypot(got[i][j][0] - want[i][j][0], got[i][j][1] - want[i][j][1]))
    }
  }
  t.ok(worst <= tol, `${what}: largest entry error ${worst}`)
}

const args = (k: number): string => Array.from({ length: k }, (_, i) => `q[${i}]`).join(', ')
const oq2 = (k: number, body: string): string => `OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[${k}];\n${body}\n`
const oq3 = (k: number, body: string): string => `OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[${k}] q;\n${body}\n`

t.test('qelib1 gates have Qiskit matrices', async (t) => {
  for (const [g, k, want] of table) close(t, circuitMatrix(oq2(k, `${g} ${args(k)};`), k), want, g)
})

t.test('OpenQASM 3 stdgates aliases have the same matrices', async (t) => {
  const aliases: [string, number, M][] = [
    [`phase(${L})`, 1, phase(L)], [`cphase(${L})`, 2, controlled(2, [0], 1, phase(L))],
    [`gphase(${A}); h`, 1, HM], ['CX', 2, controlled(2, [0], 1, X)],
  ]
  for (const [g, k, want] of [...table.filter(([n]) => /^(p|x|y|z|h|s|sdg|t|tdg|sx|rx|ry|rz|cx|cy|cz|cp|crx|cry|crz|ch|swap|ccx|cswap|cu|id|u1|u2|u3|U)\b/.test(n)), ...aliases]) {
    close(t, circuitMatrix(oq3(k, `${g} ${args(k)};`), k), want, g)
  }
})

t.test('two-qubit rotations match their Qiskit decompositions', async (t) => {
  const dec: [string, string][] = [
    [`ryy(${A})`, `rx(pi/2) q[0]; rx(pi/2) q[1]; cx q[0],q[1]; rz(${A}) q[1]; cx q[0],q[1]; rx(-pi/2) q[0]; rx(-pi/2) q[1];`],
    [`rzx(${A})`, `h q[1]; cx q[0],q[1]; rz(${A}) q[1]; cx q[0],q[1]; h q[1];`],
    [`rxx(${A})`, `h q[0]; h q[1]; cx q[0],q[1]; rz(${A}) q[1]; cx q[0],q[1]; h q[0]; h q[1];`],
  ]
  close(t, circuitMatrix(oq3(2, `ryy(${A}) q[0], q[1];`), 2), pauliRot(A, kron(Y, Y)), 'ryy')
  for (const [g, d] of dec) {
    const want = circuitMatrix(oq2(2, d), 2)
    close(t, circuitMatrix(oq3(2, `${g} q[0], q[1];`), 2), want, `${g} as one op`)
    close(t, circuitMatrix(oq3(3, `ctrl @ ${g} q[2], q[0], q[1];`), 3), controlled3(want), `ctrl @ ${g}`)
  }
  // Z on the first argument, X on the second.
  close(t, circuitMatrix(oq3(2, `rzx(${A}) q[0], q[1];`), 2), pauliRot(A, kron(X, Z)), 'rzx orientation')
})

/** A 2-qubit matrix on qubits 0,1 controlled by qubit 2. */
function controlled3(m: M): M {
  const out = eye(8)
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) out[4 + i][4 + j] = m[i][j]
  return out
}

t.test('identities and documented relations', async (t) => {
  close(t, circuitMatrix(oq2(1, 'h q[0]; s q[0]; h q[0];'), 1), SX, 'h s h = sx exactly')
  close(t, circuitMatrix(oq2(1, 'h q[0]; s q[0]; s q[0]; h q[0];'), 1), X, 'h s s h = x')
  close(t, circuitMatrix(oq2(1, 'sx q[0]; sx q[0];'), 1), X, 'sx sx = x')
  close(t, circuitMatrix(oq2(1, `rz(${L}) q[0]; ry(${A}) q[0]; rz(${B}) q[0];`), 1),
    scaleM(u3(A, B, L), cis(-(B + L) / 2)), 'u3 = e^{i(phi+lambda)/2} rz(phi) ry(theta) rz(lambda)')
  close(t, circuitMatrix(oq2(1, `u3(${A},${B},${L}) q[0];`), 1), matmul(matmul(rz(B), ry(A)), rz(L)).map((r) => r.map((x) => mul(x, cis((B + L) / 2)))), 'and the other way round')
  const rccx = circuitMatrix(oq2(3, 'rccx q[0], q[1], q[2];'), 3)
  const ccx = controlled(3, [0, 1], 2, X)
  let magErr = 0
  for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) magErr = Math.max(magErr, Math.abs(Math.hypot(...rccx[i][j]) - Math.hypot(...ccx[i][j])))
  t.ok(magErr < 1e-12, 'rccx is a Toffoli up to relative phases')
  t.ok(Math.abs(rccx[7][3][0] - 1) > 1e-6 || Math.abs(rccx[7][3][1]) > 1e-6 || Math.abs(rccx[5][5][0] + 1) < 1e-12, 'rccx differs from ccx in phase')
  const rc3x = circuitMatrix(oq2(4, 'rc3x q[0], q[1], q[2], q[3];'), 4)
  const c3x = controlled(4, [0, 1, 2], 3, X)
  let mag3 = 0
  for (let i = 0; i < 16; i++) for (let j = 0; j < 16; j++) mag3 = Math.max(mag3, Math.abs(Math.hypot(...rc3x[i][j]) - Math.hypot(...c3x[i][j])))
  t.ok(mag3 < 1e-12, 'rc3x is a 3-controlled X up to relative phases')
})

t.test('gate modifiers', async (t) => {
  const cases: [string, number, M][] = [
    ['ctrl @ x q[0], q[1];', 2, controlled(2, [0], 1, X)],
    ['ctrl(2) @ x q[0], q[1], q[2];', 3, controlled(3, [0, 1], 2, X)],
    ['ctrl @ ctrl @ x q[0], q[1], q[2];', 3, controlled(3, [0, 1], 2, X)],
    [`ctrl @ rz(${A}) q[1], q[0];`, 2, controlled(2, [1], 0, rz(A))],
    ['inv @ s q[0];', 1, phase(-Math.PI / 2)],
    ['inv @ sx q[0];', 1, dag(SX)],
    [`inv @ u3(${A},${B},${L}) q[0];`, 1, dag(u3(A, B, L))],
    ['pow(2) @ t q[0];', 1, phase(Math.PI / 2)],
    ['pow(-1) @ t q[0];', 1, phase(-Math.PI / 4)],
    ['pow(0) @ h q[0];', 1, eye(2)],
    ['negctrl @ x q[0], q[1];', 2, matmul(matmul(kron(eye(2), X), controlled(2, [0], 1, X)), kron(eye(2), X))],
    [`ctrl @ gphase(${A}) q[0];`, 1, phase(A)],
    [`ctrl @ U(${A},${B},${L}) q[0], q[1];`, 2, controlled(2, [0], 1, u3(A, B, L))],
    [`ctrl @ inv @ rx(${A}) q[0], q[1];`, 2, controlled(2, [0], 1, rx(-A))],
    [`ctrl @ swap q[2], q[0], q[1];`, 3, eye(8).map((_, i) => eye(8)[((i & 4) && (((i >> 0) & 1) !== ((i >> 1) & 1))) ? i ^ 3 : i])],
  ]
  for (const [body, k, want] of cases) close(t, circuitMatrix(oq3(k, body), k), want, body)
  // A user gate whose global phase shows once it is controlled.
  const g = 'gate ph(a) q { gphase(a); }\ngate w(a, b) p, q { ph(a) p; cx p, q; rz(b) q; }\n'
  close(t, circuitMatrix(oq3(3, g + `ctrl @ w(${A}, ${B}) q[2], q[0], q[1];`), 3),
    controlled3(matmul(kron(rz(B), eye(2)), matmul(controlled(2, [0], 1, X), scaleM(eye(4), cis(A))))), 'ctrl @ user gate keeps its phase')
  close(t, circuitMatrix(oq3(2, g + `inv @ w(${A}, ${B}) q[0], q[1];`), 2),
    dag(matmul(kron(rz(B), eye(2)), controlled(2, [0], 1, X))), 'inv @ user gate, global phase dropped')
})
