// SPDX-License-Identifier: Apache-2.0
// Each kind of refusal: its code, its exact position and its wording.

import t from 'tap'
import { parseCircuit, QasmError, type ParseLimits } from '../../daemon/qasm'

function refusal(src: string, limits?: Partial<ParseLimits>): QasmError {
  try {
    parseCircuit(src, limits)
  } catch (e) {
    if (e instanceof QasmError) return e
    throw e
  }
  throw new Error('expected parseCircuit to throw')
}

const V2 = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'
const V3 = 'OPENQASM 3.0;\ninclude "stdgates.inc";\n'

const cases: [string, string, QasmError['code'], number, number, RegExp][] = [
  ['missing semicolon', V2 + 'qreg q[2];\nx q[0]\nh q[1];', 'QASM_SYNTAX', 5, 1, /expected ";" after statement, found "h"/],
  ['undeclared register', V2 + 'qreg q[2];\nh r[0];', 'QASM_SEMANTIC', 4, 3, /undeclared quantum register "r"/],
  ['index out of range', V2 + 'qreg q[2];\nh q[2];', 'QASM_SEMANTIC', 4, 5, /index 2 is out of range for register q of size 2/],
  ['duplicate qubit', V2 + 'qreg q[2];\ncx q[1], q[1];', 'QASM_SEMANTIC', 4, 10, /qubit q\[1\] is used twice in one call to cx/],
  ['duplicate qubit by broadcast', V2 + 'qreg q[2];\ncx q, q[0];', 'QASM_SEMANTIC', 4, 7, /qubit q\[0\] is used twice/],
  ['wrong parameter count', V2 + 'qreg q[1];\nrx(1, 2) q[0];', 'QASM_SEMANTIC', 4, 1, /gate rx takes 1 parameter, got 2/],
  ['wrong qubit count', V2 + 'qreg q[2];\ncx q[0];', 'QASM_SEMANTIC', 4, 1, /gate cx takes 2 qubits, got 1/],
  ['wrong qubit count with controls', V3 + 'qubit[3] q;\nctrl(2) @ rzz(0.3) q[0], q[1];', 'QASM_SEMANTIC', 4, 11, /: rzz with 2 controls takes 2 \+ 2 qubits, got 2$/],
  ['redeclared register', V2 + 'qreg q[2];\ncreg q[2];', 'QASM_SEMANTIC', 4, 6, /"q" is already declared \(line 3\)/],
  ['redefined classic gate', V2 + 'gate h a { U(0,0,0) a; }', 'QASM_SEMANTIC', 3, 6, /gate "h" is already defined as a standard gate/],
  ['broadcast size mismatch', V2 + 'qreg a[2];\nqreg b[3];\ncx a, b;', 'QASM_SEMANTIC', 5, 7, /equal sizes: a has 2, b has 3/],
  ['gate used before definition', V2 + 'qreg q[1];\nfoo q[0];\ngate foo a { x a; }', 'QASM_SEMANTIC', 4, 1, /undefined gate "foo" \(a gate must be defined before it is used\)/],
  ['gate calling itself', V2 + 'gate g a { g a; }', 'QASM_SEMANTIC', 3, 12, /undefined gate "g"/],
  ['standard gate without include', 'OPENQASM 2.0;\nqreg q[1];\nh q[0];', 'QASM_SEMANTIC', 3, 1, /undefined gate "h": it is in qelib1.inc, which is not included/],
  ['other include', 'OPENQASM 2.0;\ninclude "mylib.inc";', 'QASM_UNSUPPORTED', 2, 9, /include "mylib.inc"/],
  ['opaque gate used', V2 + 'opaque magic(a) q;\nqreg q[1];\nmagic(1) q[0];', 'QASM_UNSUPPORTED', 5, 1, /opaque gate "magic"/],
  ['measure size mismatch', V2 + 'qreg q[2];\ncreg c[3];\nmeasure q -> c;', 'QASM_SEMANTIC', 5, 1, /measure needs operands of equal size/],
  ['classical register used as qubit', V2 + 'creg c[1];\nx c[0];', 'QASM_SEMANTIC', 4, 3, /"c" is a classical register, expected a quantum register/],
  ['unknown version', 'OPENQASM 4.0;', 'QASM_UNSUPPORTED', 1, 10, /OpenQASM version 4.0/],
  ['unterminated comment', V2 + '/* open', 'QASM_SYNTAX', 3, 1, /unterminated comment/],
  ['undeclared parameter in gate body', V2 + 'gate g(a) q { rx(b) q; }', 'QASM_SEMANTIC', 3, 18, /undeclared identifier "b" in the body of gate g/],
  ['condition too wide', V2 + 'qreg q[1];\ncreg c[2];\nif(c==4) x q[0];', 'QASM_SEMANTIC', 5, 4, /condition value 4 does not fit/],
  ['non-qubit in gate body', V2 + 'qreg q[1];\ngate g a { x q; }', 'QASM_SEMANTIC', 4, 14, /"q" is not a qubit argument of gate g/],
  ['unexpected character', V2 + 'qreg q[1];\nx q[0]; ?', 'QASM_SYNTAX', 4, 9, /unexpected character "\?"/],
]

for (const [what, src, code, line, column, msg] of cases) {
  t.test(`${what} is refused with ${code} at ${line}:${column}`, async (t) => {
    const e = refusal(src)
    t.equal(e.code, code)
    t.equal(e.line, line, 'line')
    t.equal(e.column, column, 'column')
    t.ok(e.message.startsWith(`line ${line}, column ${column}: `), e.message)
    t.match(e.message, msg)
  })
}

t.test('limits fail fast with QASM_LIMIT naming the limit', async (t) => {
  // Bounds catch a hang or a blow-up, not speed: timings belong in bench/.
  const timed = (label: string, src: string, name: string, limits?: Partial<ParseLimits>): void => {
    const start = process.hrtime.bigint()
    const e = refusal(src, limits)
    const ms = Number(process.hrtime.bigint() - start) / 1e6
    t.equal(e.code, 'QASM_LIMIT', label)
    t.match(e.message, new RegExp(`\\(${name}\\)`), `${label}: ${e.message}`)
    t.ok(ms < 10_000, `${label} refused in ${ms.toFixed(0)} ms`)
  }
  let nest = V2 + 'gate g0 a { x a; }\n'
  for (let i = 1; i <= 30; i++) nest += `gate g${i} a { g${i - 1} a; g${i - 1} a; }\n`
  timed('exponential nesting', nest + 'qreg q[1];\ng30 q[0];', 'maxOps')
  let deep = V2
  for (let i = 1; i <= 70; i++) deep += `gate d${i} a { ${i === 1 ? 'x' : `d${i - 1}`} a; }\n`
  timed('deep gate nesting', deep, 'maxGateDepth')
  const parens = V2 + 'qreg q[1];\nrx(' + '('.repeat(1e6) + '1' + ')'.repeat(1e6) + ') q[0];'
  // With default limits the token count is what stops it; raised, the depth.
  timed('million nested parentheses', parens, 'maxTokens')
  timed('million nested parentheses, more tokens allowed', parens, 'maxExprDepth', { maxTokens: 3e6 })
  timed('huge register', V2 + 'qreg q[1000000000];', 'maxRegisterSize')
  timed('too many qubits', V2 + 'qreg a[40];\nqreg b[30];', 'maxQubits')
  timed('too many clbits', V2 + 'creg c[10];', 'maxClbits', { maxClbits: 8 })
  timed('source too long', '// ' + 'x'.repeat(5 * 1024 * 1024), 'maxSourceBytes')
  timed('too many tokens', V2 + 'qreg q[1];\n' + 'x q[0];\n'.repeat(1000), 'maxTokens', { maxTokens: 500 })
  timed('broadcast over the op budget', V2 + 'qreg q[8];\nh q;', 'maxOps', { maxOps: 7 })
  const e = refusal(V2 + 'qreg a[40];\nqreg b[30];')
  t.equal(e.message, 'line 4, column 6: circuit needs 70 qubits, above the limit of 64 (maxQubits)')
})

t.test('a megabyte-long flat expression folds to one number', async (t) => {
  const c = parseCircuit(V2 + 'qreg q[1];\nrz(' + '0.000001+'.repeat(100_000) + '0) q[0];')
  t.equal(c.ops.length, 1)
  const op = c.ops[0] as { matrix: number[] }
  t.ok(Math.abs(Math.atan2(op.matrix[7], op.matrix[6]) - 0.05) < 1e-9)
})

t.test('a 50k-gate file parses quickly', async (t) => {
  const body = Array.from({ length: 50_000 }, (_, i) => `cx q[${i % 10}],q[${(i + 1) % 10}];\nrz(pi*0.${i}) q[${i % 10}];`).join('\n')
  const start = Date.now()
  const c = parseCircuit(V2 + 'qreg q[10];\n' + body)
  t.equal(c.ops.length, 100_000)
  t.ok(Date.now() - start < 10_000, `parsed in ${Date.now() - start} ms`)
})

t.test('OpenQASM 3 refusals name the feature', async (t) => {
  const feats: [string, RegExp, number, number][] = [
    ['for uint i in [0:3] { }', /for loops/, 4, 1],
    ['pragma z3bra.shots 10', /not supported: pragmas$/, 4, 1],
    ['#pragma z3bra.shots 10', /not supported: pragmas$/, 4, 1],
    ['@z3bra.tag x q[0];', /not supported: annotations$/, 4, 1],
    ['while (true) { }', /while loops/, 4, 1],
    ['def f() { }', /subroutines/, 4, 1],
    ['input float theta;', /input declarations/, 4, 1],
    ['output bit b;', /output declarations/, 4, 1],
    ['delay[100ns] q[0];', /delay/, 4, 1],
    ['box { x q[0]; }', /box/, 4, 1],
    ['duration d = 10ns;', /duration/, 4, 1],
    ['stretch s;', /stretch/, 4, 1],
    ['defcal x $0 { }', /defcal/, 4, 1],
    ['cal { }', /cal blocks/, 4, 1],
    ['extern f(int) -> int;', /extern/, 4, 1],
    ['let a = q[0];', /let aliases/, 4, 1],
    ['int x = 3;', /non-constant int/, 4, 1],
    ['float[64] y = 1.0;', /non-constant float/, 4, 1],
    ['c = c + 1;', /classical assignment/, 4, 3],
    ['x q[0:1];', /slices and index sets/, 4, 6],
    ['measure q[0];', /measure without a target bit/, 4, 1],
    ['const angle a = 1.0;', /const of type angle/, 4, 7],
    ['pow(0.5) @ x q[0];', /pow\(0\.5\)/, 4, 5],
    ['if (c == 1) { x q[0]; } else { x q[1]; }', /else after a condition on a multi-bit register/, 4, 1],
    ['if (c != 1) x q[0];', /"!=" on a multi-bit register/, 4, 5],
    ['ctrl @ gphase(0.5) q[0];\nctrl @ ctrl @ U(0, 0, 0) q[0], q[1], q[0];', /qubit q\[0\] is used twice/, 5, 38],
  ]
  for (const [stmt, re, line, column] of feats) {
    const e = refusal(V3 + 'qubit[2] q;\nbit[2] c;\n' + stmt)
    t.match(e.message, re, stmt)
    t.equal(`${e.line}:${e.column}`, `${line + 1}:${column}`, `${stmt}: ${e.message}`)
    t.equal(e.code, re.source.includes('twice') ? 'QASM_SEMANTIC' : 'QASM_UNSUPPORTED', `${stmt} -> ${e.code}`)
  }
})
