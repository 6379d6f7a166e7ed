// SPDX-License-Identifier: Apache-2.0
// The OpenQASM 3 rendering of each QASMBench circuit must parse to the very
// same ops as the 2.0 original: this ties both grammars to one gate table.

import t from 'tap'
import * as fs from 'node:fs'
import * as path from 'node:path'
import type { Circuit, Op } from '../../daemon/circuit/ir'
import { parseCircuit } from '../../daemon/qasm'
import { QASMBENCH } from '../helpers/daemon'
import { toQasm3 } from '../helpers/qasm3'

function sameOp(a: Op, b: Op): string | undefined {
  if (a.kind !== b.kind) return `kind ${a.kind} vs ${b.kind}`
  const { matrix: ma, op: oa, ...ra } = a as Op & { matrix?: number[]; op?: Op }
  const { matrix: mb, op: ob, ...rb } = b as Op & { matrix?: number[]; op?: Op }
  if (JSON.stringify(ra, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) !==
    JSON.stringify(rb, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))) return 'operands differ'
  if (ma && mb) {
    if (ma.length !== mb.length) return 'matrix sizes differ'
    for (let i = 0; i < ma.length; i++) if (Math.abs(ma[i] - mb[i]) > 1e-15) return `matrix entry ${i}: ${ma[i]} vs ${mb[i]}`
  }
  if (oa && ob) return sameOp(oa, ob)
  return undefined
}

function compare(t: Tap.Test, c2: Circuit, c3: Circuit): void {
  t.equal(c3.version, '3.0')
  t.strictSame(c3.qregs, c2.qregs)
  t.strictSame(c3.cregs, c2.cregs)
  t.equal(c3.gateCount, c2.gateCount)
  t.equal(c3.ops.length, c2.ops.length)
  for (let i = 0; i < c2.ops.length; i++) {
    const why = sameOp(c2.ops[i], c3.ops[i])
    if (why) {
      t.fail(`op ${i}: ${why}`)
      return
    }
  }
  t.pass(`${c2.ops.length} ops identical`)
}

const dir = QASMBENCH
for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.qasm')).sort()) {
  const src = fs.readFileSync(path.join(dir, f), 'utf8')
  if (JSON.parse(fs.readFileSync(path.join(dir, 'expected', f.replace(/\.qasm$/, '.json')), 'utf8')).invalid) continue
  t.test(`${f} in OpenQASM 3 gives the same ops`, async (t) => {
    const c3src = toQasm3(src)
    t.match(c3src, /include "stdgates\.inc";/)
    t.notMatch(c3src.replace(/\/\/.*$/gm, ''), /\bqreg\b|\bcreg\b|->/)
    compare(t, parseCircuit(src), parseCircuit(c3src))
  })
}

t.test('toQasm3 keeps the phase conventions of cu1, cu3 and u', async (t) => {
  const src = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\n' +
    'cu1(pi/3) q[0],q[1];\ncu3(1/2,0.25,-pi^2) q[1],q[0];\nu(1,2,3) q[0];\nCX q[0],q[1];\nmeasure q -> c;\n'
  const out = toQasm3(src)
  t.match(out, /cp\(pi\/3\.0\) q\[0\],q\[1\];/)
  t.match(out, /cu\(1\.0\/2\.0,0\.25,-pi\*\*2\.0, 0\.0\) q\[1\],q\[0\];/)
  t.match(out, /c = measure q;/)
  compare(t, parseCircuit(src), parseCircuit(out))
})
