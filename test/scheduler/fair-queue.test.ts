// SPDX-License-Identifier: Apache-2.0
// Fair share on a simulated clock: who goes next, and the long-run split.
import t from 'tap'
import { FairQueue, type QueuedJob } from '../../daemon/scheduler/fair-queue'

let seq = 0
const job = (tenantId: string, priority = 0): QueuedJob => ({ id: `j${++seq}`, tenantId, priority, seq, cpus: 1, memoryBytes: 0, createdAt: 0 })

t.test('within a tenant: priority, then age; across tenants: lowest usage over weight', async (t) => {
  let now = 0
  const q = new FairQueue({ halfLifeMs: 60_000, weightOf: () => 1, now: () => now })
  const a1 = job('a')
  const a2 = job('a', 5)
  const b1 = job('b')
  q.push(a1)
  q.push(a2)
  q.push(b1)
  t.equal(q.heads()[0].job.tenantId, 'a', 'equal usage: the older, higher-priority head first')
  t.equal(q.heads()[0].job.id, a2.id, 'priority beats age within a tenant')
  q.charge('a', 10)
  t.equal(q.heads()[0].job.id, b1.id, 'a used CPU, so b goes next')
  now += 60_000
  t.equal(q.factor('a'), 5, 'usage halves over one half-life')
  q.remove(a2.id)
  q.take(b1.id)
  t.same(q.heads().map((h) => h.job.id), [a1.id], 'removed and taken jobs are gone')
  t.equal(q.size, 1)
})

t.test('weights 1 and 3 split CPU time 1:3 under equal floods', async (t) => {
  let now = 0
  const weights: Record<string, number> = { light: 1, heavy: 3 }
  const q = new FairQueue({ halfLifeMs: 300_000, weightOf: (x) => weights[x], now: () => now })
  for (let i = 0; i < 2000; i++) {
    q.push(job('light'))
    q.push(job('heavy'))
  }
  // Two CPUs, every job one CPU for one second; a tick starts what is free.
  const used: Record<string, number> = { light: 0, heavy: 0 }
  for (let tick = 0; tick < 1000; tick++) {
    for (let cpu = 0; cpu < 2; cpu++) {
      const [h] = q.heads()
      q.take(h.job.id)
      q.charge(h.job.tenantId, 1)
      used[h.job.tenantId] += 1
    }
    now += 1000
  }
  const ratio = used.heavy / used.light
  t.ok(Math.abs(ratio - 3) / 3 < 0.1, `heavy:light = ${ratio.toFixed(3)} (${used.heavy}:${used.light})`)
})

t.test('a tenant alone gets every start', async (t) => {
  const q = new FairQueue({ halfLifeMs: 1000, weightOf: () => 1 })
  for (let i = 0; i < 10; i++) q.push(job('solo'))
  q.charge('solo', 1e6)
  let n = 0
  while (q.heads().length) {
    q.take(q.heads()[0].job.id)
    n++
  }
  t.equal(n, 10)
})
