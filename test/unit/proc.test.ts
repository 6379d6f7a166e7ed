// SPDX-License-Identifier: Apache-2.0
import t from 'tap'
import { formatCpuList, parseCpuList, readPlacement } from '../../daemon/backends/proc'

t.test('kernel CPU lists parse and format both ways', async (t) => {
  t.same(parseCpuList('0-3,8,10-11\n'), [0, 1, 2, 3, 8, 10, 11])
  t.same(parseCpuList(''), [])
  t.equal(formatCpuList([11, 0, 2, 1, 3, 8, 10]), '0-3,8,10-11')
  t.equal(formatCpuList([5]), '5')
  t.throws(() => parseCpuList('0-a'), RangeError)
})

t.test('this process reads its own placement from /proc', async (t) => {
  const p = readPlacement(process.pid)
  t.ok(p.cpus.length >= 1)
  t.match(p.mems, /^\d/)
})
