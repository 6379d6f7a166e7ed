// SPDX-License-Identifier: Apache-2.0
// `z3bra-agent submit --precision single|double --threads N` through the real
// daemon: the runner gets the precision and the job's CPUs, and says so in
// the result's stats.
import t from 'tap'
import path from 'node:path'
import { cli, QASMBENCH, startDaemon } from '../helpers/daemon'

t.test('submit --precision and --threads reach the runner', async (t) => {
  const d = await startDaemon()
  t.teardown(() => d.stop())
  const file = path.join(QASMBENCH, 'qft_n4.qasm')
  const dbl = await cli(d, ['submit', file, '--shots', '0', '--probabilities', '--wait', '--json'])
  t.equal(dbl.code, 0, dbl.stderr)
  const one = await cli(d, ['submit', file, '--shots', '0', '--probabilities', '--wait', '--json', '--precision', 'single', '--threads', '1'])
  t.equal(one.code, 0, one.stderr)
  const a = JSON.parse(dbl.stdout), b = JSON.parse(one.stdout)
  t.equal(a.result.stats.precision, 'double', 'double by default')
  t.equal(b.result.stats.precision, 'single', 'single on request')
  t.equal(b.result.stats.threads, 1, 'one thread')
  t.equal(b.job.requested_cpus, 1, '--threads asks the scheduler for that many CPUs')
  const pa = a.result.probabilities.probabilities, pb = b.result.probabilities.probabilities
  for (const k of Object.keys(pa)) t.ok(Math.abs(pa[k] - (pb[k] ?? 0)) < 1e-5, `P(${k}) within 1e-5`)

  // Two CPUs for a 4-qubit state: held, but the simulator runs one thread
  // there, and the text says so.
  const two = await cli(d, ['submit', file, '--shots', '10', '--wait', '--threads', '2'])
  t.equal(two.code, 0, two.stderr)
  t.match(two.stdout, /, 1 thread\(s\),/)
  t.match(two.stdout, /\n  note: 2 CPUs held, 1 used: a state under 2\^14 amplitudes runs on one thread\n/)
  t.notMatch(dbl.stdout + one.stdout, /note:/)
  const bad = await cli(d, ['submit', file, '--precision', 'half'])
  t.equal(bad.code, 2)
  t.match(bad.stderr, /--precision must be single or double/)
  const clash = await cli(d, ['submit', file, '--threads', '1', '--cpus', '2'])
  t.equal(clash.code, 2)
  t.match(clash.stderr, /disagree/)
})
