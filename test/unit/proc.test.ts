// SPDX-License-Identifier: Apache-2.0
import t from 'tap'
import { formatCpuList, parseCpuList, readPlacement } from '../../daemon/backends/proc'

t.test('kernel CPU lists parse and format both ways', async (t) => {
  t.same(parseCpuList('0-3,8,10-11\n'), [0, 1, 2, 3, 8, 10, 11])
  t.same(parseCpuList(''), [])
  t.equal(formatCpuList([11, 0, 2, 1, 3, 8, 10]), '0-3,8,10-11')
  t.equal(formatCpuList([5]), '5')
  t.throws(() => parseCpuList('0-a'), RangeError)
  // Bounds are checked before a range is expanded: a typo cannot build an
  // array of billions.
  t.throws(() => parseCpuList('0-99999999999'), { name: 'RangeError', message: 'not a CPU list: "0-99999999999" (CPUs are 0 to 8191, ranges ascending)' })
  t.throws(() => parseCpuList('5-3'), RangeError)
  t.equal(parseCpuList('0-8191').length, 8192)
})

t.test('this process reads its own placement from /proc', async (t) => {
  const p = readPlacement(process.pid)
  t.ok(p.cpus.length >= 1)
  t.match(p.mems, /^\d/)
})
