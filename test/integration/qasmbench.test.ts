// SPDX-License-Identifier: Apache-2.0
// Every QASMBench circuit through the real daemon, in OpenQASM 2.0 and as
// OpenQASM 3: exact probabilities against the independently computed
// distributions (1e-9), and sampled counts against them by chi-square.
import * as grpc from '@grpc/grpc-js'
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { QASMBENCH, startDaemon, waitForState, type Daemon } from '../helpers/daemon'
import { toQasm3 } from '../helpers/qasm3'
import { chiSquare } from '../helpers/stats'

const TOLERANCE = 1e-9
const SHOTS = 4000
// A p-value under this is a real misfit, not bad luck: with about 50
// circuits the chance of a false alarm stays under 1 in 10^4.
const MIN_P_VALUE = 1e-6

interface Expected {
  invalid?: boolean
  reason?: string
  qubits: number
  clbits: number
  outcomes: number
  probabilities?: Record<string, number>
  top?: Record<string, number>
  bit_one_probability?: number[]
}

const names = fs
  .readdirSync(QASMBENCH)
  .filter((f) => f.endsWith('.qasm'))
  .map((f) => f.slice(0, -5))
  .sort()

let d: Daemon
t.before(async () => {
  d = await startDaemon()
})
t.teardown(() => d.stop())

function check(t: tap.Test, exp: Expected, got: any, counts: Record<string, string>) {
  t.equal(got.qubits, exp.qubits, 'qubits')
  t.equal(got.clbits, exp.clbits, 'clbits')
  t.equal(got.outcomes, exp.outcomes, 'outcomes')
  const shots = Object.values(counts).reduce((s, n) => s + Number(n), 0)
  t.equal(shots, SHOTS, 'every shot counted')
  const numeric = Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, Number(v)]))
  if (exp.probabilities) {
    t.same(Object.keys(got.probabilities).sort(), Object.keys(exp.probabilities).sort(), 'same outcomes')
    let worst = 0
    for (const [k, p] of Object.entries(exp.probabilities)) worst = Math.max(worst, Math.abs((got.probabilities[k] ?? 0) - p))
    t.ok(worst <= TOLERANCE, `largest probability error ${worst}`)
    const fit = chiSquare(numeric, exp.probabilities)
    t.same(fit.impossible, [], 'no impossible outcome sampled')
    t.ok(fit.pValue > MIN_P_VALUE, `chi-square ${fit.statistic.toFixed(1)} on ${fit.dof} dof, p = ${fit.pValue}`)
  } else {
    const bits = exp.bit_one_probability!
    let worst = 0
    for (let i = 0; i < bits.length; i++) worst = Math.max(worst, Math.abs(got.bit_one_probability[i] - bits[i]))
    t.ok(worst <= TOLERANCE, `largest bit-marginal error ${worst}`)
    const gotTop = Object.values(got.top as Record<string, number>).sort((a, b) => b - a)
    const expTop = Object.values(exp.top!).sort((a, b) => b - a)
    t.equal(gotTop.length, expTop.length, 'as many top outcomes')
    let worstTop = 0
    for (let i = 0; i < expTop.length; i++) worstTop = Math.max(worstTop, Math.abs(gotTop[i] - expTop[i]))
    t.ok(worstTop <= TOLERANCE, `top-64 probabilities agree, worst ${worstTop}`)
    for (const [k, p] of Object.entries(got.top as Record<string, number>)) {
      if (k in exp.top!) t.ok(Math.abs(exp.top![k] - p) <= TOLERANCE, `top outcome ${k}`)
    }
    // Sampled bits against their exact marginals, one z-score per bit; the
    // bound keeps the family's false-alarm rate under 1e-6 even for 52 bits.
    for (let i = 0; i < bits.length; i++) {
      const p = bits[i]
      let ones = 0
      for (const [k, n] of Object.entries(numeric)) {
        const flat = k.replace(/ /g, '')
        if (flat[flat.length - 1 - i] === '1') ones += n
      }
      if (p < 1e-12 || p > 1 - 1e-12) {
        t.equal(ones, p < 0.5 ? 0 : shots, `bit ${i} is certain`)
        continue
      }
      const z = (ones - p * shots) / Math.sqrt(shots * p * (1 - p))
      t.ok(Math.abs(z) < 6, `bit ${i}: ${ones} ones in ${shots}, expected ${(p * shots).toFixed(1)} (z = ${z.toFixed(2)})`)
    }
  }
}

for (const version of ['2.0', '3'] as const) {
  t.test(`QASMBench in OpenQASM ${version}`, async (t) => {
    const submitted: [string, Expected, string | null, string][] = []
    for (const name of names) {
      const exp = JSON.parse(fs.readFileSync(path.join(QASMBENCH, 'expected', `${name}.json`), 'utf8')) as Expected
      const src2 = fs.readFileSync(path.join(QASMBENCH, `${name}.qasm`), 'utf8')
      const source = version === '2.0' ? src2 : toQasm3(src2)
      try {
        const r = await d.rpc(d.jobs, 'SubmitJob', { source, shots: SHOTS, probabilities: true, seed: '20261204', name })
        submitted.push([name, exp, r.job.job_id, ''])
      } catch (e) {
        const err = e as grpc.ServiceError
        submitted.push([name, exp, null, `${grpc.status[err.code]}: ${err.details}`])
      }
    }
    for (const [name, exp, id, refusal] of submitted) {
      await t.test(name, async (t) => {
        if (exp.invalid) {
          t.equal(id, null, `refused: ${exp.reason}`)
          t.match(refusal, /^INVALID_ARGUMENT: line 2286, column \d+: .*"q"/)
          return
        }
        t.ok(id, `accepted (${refusal})`)
        if (!id) return
        const job = await waitForState(d, id, ['SUCCEEDED', 'FAILED', 'CANCELLED'], 600_000)
        t.equal(job.state, 'SUCCEEDED', job.error)
        if (job.state !== 'SUCCEEDED') return
        const res = await d.rpc(d.jobs, 'GetJobResult', { job_id: id })
        check(t, exp, JSON.parse(res.probabilities_json), res.counts)
      })
    }
  })
}
