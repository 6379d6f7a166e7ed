// SPDX-License-Identifier: Apache-2.0
// Language features end to end: user gates, broadcast, conditions and the
// OpenQASM 3 declaration, measurement and branching forms.

import t from 'tap'
import type { Circuit, Op } from '../../daemon/circuit/ir'
import { parseCircuit } from '../../daemon/qasm'
import { distribution } from '../helpers/ref-sim'

const V2 = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'
const V3 = 'OPENQASM 3.0;\ninclude "stdgates.inc";\n'
const shape = (c: Circuit): string[] => c.ops.map(describeOp)
function describeOp(o: Op): string {
  switch (o.kind) {
    case 'u': return `u ${o.target}${o.controls.length ? ' c' + o.controls.join(',') : ''}`
    case 'swap': return `swap ${o.a} ${o.b}`
    case 'u2': return `u2 ${o.q0} ${o.q1}`
    case 'measure': return `measure ${o.qubit}->${o.clbit}`
    case 'reset': return `reset ${o.qubit}`
    case 'if': return `if ${o.bits.join(',')}==${o.value} ${describeOp(o.op)}`
  }
}
const probs = (src: string): Record<string, number> =>
  Object.fromEntries([...distribution(parseCircuit(src))].filter(([, p]) => p > 1e-12).map(([k, p]) => [k, Math.round(p * 1e9) / 1e9]))

t.test('user gates with parameters and nested calls expand with substituted values', async (t) => {
  const src = V2 + 'gate rot(a, b) x { rz(a/2) x; ry(-b) x; }\n' +
    'gate pair(theta) p, q { rot(theta, 2*theta) p; cx p, q; rot(theta^2, pi) q; }\nqreg r[2];\npair(0.5) r[1], r[0];'
  const c = parseCircuit(src)
  t.strictSame(shape(c), ['u 1', 'u 1', 'u 0 c1', 'u 0', 'u 0'])
  t.equal(c.gateCount, 5)
  const ref = parseCircuit(V2 + 'qreg r[2];\nrz(0.25) r[1]; ry(-1) r[1]; cx r[1], r[0]; rz(0.125) r[0]; ry(-pi) r[0];')
  t.strictSame(c.ops, ref.ops, 'same ops as the hand expansion')
})

t.test('expressions: precedence, right-associative power, functions, literal forms', async (t) => {
  const angle = (e: string): number => {
    const op = parseCircuit(V2 + `qreg q[1];\nu1(${e}) q[0];`).ops[0] as { matrix: number[] }
    return Math.atan2(op.matrix[7], op.matrix[6])
  }
  t.ok(Math.abs(angle('1+2*3-4/8') - 6.5 + 2 * Math.PI) < 1e-12, '1+2*3-4/8')
  t.ok(Math.abs(angle('2^3^0.5') - (2 ** (3 ** 0.5) - 2 * Math.PI)) < 1e-12, 'power is right-associative')
  t.ok(Math.abs(angle('-2^2') - (-4 + 2 * Math.PI)) < 1e-12, 'power binds tighter than unary minus')
  t.ok(Math.abs(angle('pi*-0.25') + Math.PI / 4) < 1e-12, 'unary minus after an operator')
  t.ok(Math.abs(angle('sin(pi/6)+cos(0)+tan(0)+exp(0)+ln(1)+sqrt(0.01)') - 2.6) < 1e-12, 'functions')
  t.ok(Math.abs(angle('1e-3 + 2.5E+0 + .5') - 3.001) < 1e-12, 'exponent forms')
})

t.test('broadcast over registers, mixing single qubits', async (t) => {
  const c = parseCircuit(V2 + 'qreg a[3];\nqreg b[3];\ncreg m[3];\nh a;\ncx a, b;\ncx a[0], b;\nmeasure b -> m;')
  t.strictSame(shape(c), ['u 0', 'u 1', 'u 2', 'u 3 c0', 'u 4 c1', 'u 5 c2', 'u 3 c0', 'u 4 c0', 'u 5 c0',
    'measure 3->0', 'measure 4->1', 'measure 5->2'])
  t.equal(c.gateCount, 9)
})

t.test('barrier is dropped, reset and measure are kept, registers laid end to end', async (t) => {
  const c = parseCircuit(V2 + 'qreg a[1];\nqreg b[2];\ncreg x[1];\ncreg y[2];\nbarrier a, b;\nreset b;\nmeasure b[1] -> y[0];')
  t.strictSame(shape(c), ['reset 1', 'reset 2', 'measure 2->1'])
  t.strictSame(c.cregs, [{ name: 'x', size: 1, offset: 0 }, { name: 'y', size: 2, offset: 1 }])
  t.strictSame(c.qregs, [{ name: 'a', size: 1, offset: 0 }, { name: 'b', size: 2, offset: 1 }])
})

t.test('if conditions wrap every op of the statement', async (t) => {
  const c = parseCircuit(V2 + 'qreg q[2];\ncreg c[2];\nmeasure q[0] -> c[0];\nif(c==1) cx q[0], q[1];\nif(c==1) x q;\nif(c==3) measure q[1] -> c[1];')
  t.strictSame(shape(c), ['measure 0->0', 'if 0,1==1 u 1 c0', 'if 0,1==1 u 0', 'if 0,1==1 u 1', 'if 0,1==3 measure 1->1'])
  t.equal((c.ops[1] as { value: bigint }).value, 1n)
  // Teleport-style correction: the outcome on q[1] follows q[0] exactly.
  t.strictSame(probs(V2 + 'qreg q[2];\ncreg a[1];\ncreg b[1];\nh q[0];\nmeasure q[0] -> a[0];\nif(a==1) x q[1];\nmeasure q[1] -> b[0];'),
    { '0 0': 0.5, '1 1': 0.5 })
})

t.test('OpenQASM 3 declarations, physical qubits and measurement forms', async (t) => {
  const c = parseCircuit(V3 + 'qubit[2] q;\nqubit r;\nbit[2] c;\nbit d;\nh q[0];\nc = measure q;\nc[1] = measure r;\nmeasure r -> d;\nbit[2] e = measure q;')
  t.equal(c.version, '3.0')
  t.strictSame(shape(c).slice(1), ['measure 0->0', 'measure 1->1', 'measure 2->1', 'measure 2->2', 'measure 0->3', 'measure 1->4'])
  t.equal(c.numClbits, 5)
  const hw = parseCircuit('OPENQASM 3;\ninclude "stdgates.inc";\nbit[2] c;\nh $0;\ncx $0, $3;\nc[0] = measure $3;')
  t.equal(hw.version, '3')
  t.equal(hw.numQubits, 4)
  t.strictSame(hw.qregs, [{ name: '$', size: 4, offset: 0 }])
  t.strictSame(shape(hw), ['u 0', 'u 3 c0', 'measure 3->0'])
})

t.test('OpenQASM 3 constants, pi spellings and integer division', async (t) => {
  const c = parseCircuit(V3 + 'const float[64] theta = π/4;\nconst int n = 7;\nconst int half = n / 2;\nqubit q;\n' +
    'rz(theta * half + tau - 2*pi + euler - euler) q;\nrz(n/2) q;\nrz(n/2.0) q;')
  const ang = (i: number): number => { const m = (c.ops[i] as { matrix: number[] }).matrix; return 2 * Math.atan2(m[7], m[6]) }
  t.ok(Math.abs(ang(0) - 3 * Math.PI / 4) < 1e-12, 'π, tau, euler and const values')
  t.ok(Math.abs(ang(1) - 3) < 1e-12, 'int / int truncates')
  t.ok(Math.abs(ang(2) - 3.5 + 2 * Math.PI * 0) < 1e-12, 'a real operand divides exactly')
})

t.test('OpenQASM 3 if forms and else', async (t) => {
  const c = parseCircuit(V3 + 'qubit[2] q;\nbit[2] c;\nbit b;\n' +
    'if (c == 2) { x q[0]; h q[1]; }\nif (c[0]) x q[0];\nif (!c[1]) x q[1];\nif (c[0] == 1) z q[0];\n' +
    'if (b) { x q[0]; } else { y q[0]; }\nif (c[1] != 1) h q[0];')
  t.strictSame(shape(c), ['if 0,1==2 u 0', 'if 0,1==2 u 1', 'if 0==1 u 0', 'if 1==0 u 1', 'if 0==1 u 0',
    'if 2==1 u 0', 'if 2==0 u 0', 'if 1==0 u 0'])
})

t.test('gphase at the top level changes nothing; controlled it is a phase gate', async (t) => {
  t.equal(parseCircuit(V3 + 'qubit q;\ngphase(0.3);\n').ops.length, 0)
  const c = parseCircuit(V3 + 'qubit[2] q;\nctrl @ gphase(0.3) q[1];\n')
  t.strictSame(shape(c), ['u 1'])
})

t.test('a file that defines a gate Qiskit added to qelib1 keeps its own version', async (t) => {
  const c = parseCircuit(V2 + 'gate rzz(theta) a, b { cx a, b; u1(theta) b; cx a, b; }\nqreg q[2];\nrzz(0.5) q[0], q[1];')
  t.strictSame(shape(c), ['u 1 c0', 'u 1', 'u 1 c0'])
  const std = parseCircuit(V2 + 'qreg q[2];\nrzz(0.5) q[0], q[1];')
  t.strictSame(shape(std), ['u2 0 1'])
})

t.test('a file with no version line is read as OpenQASM 2.0', async (t) => {
  const c = parseCircuit('include "qelib1.inc";\nqreg q[1];\nx q[0];')
  t.equal(c.version, '2.0')
  t.equal(c.ops.length, 1)
})
