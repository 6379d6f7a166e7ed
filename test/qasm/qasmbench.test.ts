// SPDX-License-Identifier: Apache-2.0
// Every QASMBench circuit small enough for the reference simulator must
// reproduce the outcome distribution recorded beside it.

import t from 'tap'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { parseCircuit, QasmError } from '../../daemon/qasm'
import { distribution } from '../helpers/ref-sim'
import { QASMBENCH } from '../helpers/daemon'

const MAX_REF_QUBITS = 16
const TOLERANCE = 1e-9

const dir = QASMBENCH
const names = fs.readdirSync(dir).filter((f) => f.endsWith('.qasm')).map((f) => f.slice(0, -5)).sort()

t.ok(names.length >= 27, `found the QASMBench circuits in ${dir}`)

for (const name of names) {
  const src = fs.readFileSync(path.join(dir, `${name}.qasm`), 'utf8')
  const expected = JSON.parse(fs.readFileSync(path.join(dir, 'expected', `${name}.json`), 'utf8'))
  if (expected.invalid) continue
  t.test(`${name} parses with the recorded width`, async (t) => {
    const c = parseCircuit(src)
    t.equal(c.numQubits, expected.qubits)
    t.equal(c.numClbits, expected.clbits)
  })
  if (expected.qubits > MAX_REF_QUBITS) continue
  t.test(`${name} gives the recorded distribution`, async (t) => {
    const dist = distribution(parseCircuit(src))
    if (expected.probabilities) {
      for (const [key, p] of Object.entries(expected.probabilities as Record<string, number>)) {
        const got = dist.get(key) ?? 0
        if (Math.abs(got - p) > TOLERANCE) t.fail(`outcome ${key}: expected ${p}, got ${got}`)
      }
      for (const [key, p] of dist) {
        if (p > TOLERANCE && !(key in expected.probabilities)) t.fail(`unexpected outcome ${key} with ${p}`)
      }
      t.pass(`${Object.keys(expected.probabilities).length} outcomes checked`)
      return
    }
    // Wide outputs are recorded as the top outcomes plus per-bit marginals.
    for (const [key, p] of Object.entries(expected.top as Record<string, number>)) {
      const got = dist.get(key) ?? 0
      if (Math.abs(got - p) > TOLERANCE) t.fail(`outcome ${key}: expected ${p}, got ${got}`)
    }
    const c = parseCircuit(src)
    const positions: number[] = []
    for (const r of [...c.cregs].reverse()) for (let j = r.size - 1; j >= 0; j--) positions.push(r.offset + j)
    const ones = new Array<number>(c.numClbits).fill(0)
    for (const [key, p] of dist) {
      const bits = key.replace(/ /g, '')
      for (let k = 0; k < bits.length; k++) if (bits[k] === '1') ones[positions[k]] += p
    }
    t.equal(ones.length, expected.bit_one_probability.length)
    ;(expected.bit_one_probability as number[]).forEach((p, b) => {
      if (Math.abs(ones[b] - p) > TOLERANCE) t.fail(`bit ${b}: expected P(1) = ${p}, got ${ones[b]}`)
    })
    t.pass(`${Object.keys(expected.top).length} top outcomes and ${ones.length} marginals checked`)
  })
}

t.test('vqe_uccsd_n6 is refused at its first use of the undeclared register q', async (t) => {
  const src = fs.readFileSync(path.join(dir, 'vqe_uccsd_n6.qasm'), 'utf8')
  let err: unknown
  try {
    parseCircuit(src)
  } catch (e) {
    err = e
  }
  t.ok(err instanceof QasmError, 'throws a QasmError')
  const q = err as QasmError
  t.equal(q.code, 'QASM_SEMANTIC')
  t.equal(q.line, 2286)
  t.equal(q.column, 9)
  t.equal(q.message, 'line 2286, column 9: undeclared quantum register "q"')
})

t.test('gate counts match the QASMBench table', async (t) => {
  const counts: Record<string, number> = { adder_n4: 23, bb84_n8: 27, qft_n18: 783, dnn_n16: 2016, sat_n11: 91 }
  for (const [name, n] of Object.entries(counts)) {
    t.equal(parseCircuit(fs.readFileSync(path.join(dir, `${name}.qasm`), 'utf8')).gateCount, n, name)
  }
})
