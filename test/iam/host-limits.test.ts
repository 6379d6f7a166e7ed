// SPDX-License-Identifier: Apache-2.0
// The host's own per-tenant limits, on top of the plan's: queued plus
// running jobs, and CPU-seconds a month.
import * as grpc from '@grpc/grpc-js'
import t from 'tap'
import { startDaemon } from '../helpers/daemon'
import { BELL, bearer, outcome, rpc, services, waitState } from './helpers'

const NOW = Date.UTC(2031, 5, 15, 12, 0, 0)

t.test('maxActiveJobsPerTenant and cpuSecondsPerMonth', async (t) => {
  const d = await startDaemon({
    env: { Z3BRA_TEST_NOW_MS: String(NOW) },
    config: { tenantLimits: { maxActiveJobsPerTenant: 2, cpuSecondsPerMonth: 0.000001 } },
  })
  const s = services(d)
  t.teardown(async () => {
    s.close()
    await d.stop()
  })
  const admin = bearer(d.token)
  const cpus = ((await rpc(s.host, 'GetStatus', {}, admin)).cpus as any[]).map((c) => c.cpu).join(',')
  await rpc(s.host, 'Cordon', { cpus, reason: 'keep jobs queued' }, admin)
  await rpc(s.tenants, 'CreateTenant', { tenant_id: 'busy', plan: 'enterprise' }, admin)
  await rpc(s.tenants, 'AddUser', { tenant_id: 'busy', user_id: 'dev', role: 'developer' }, admin)
  const md = bearer((await rpc(s.tenants, 'IssueToken', { tenant_id: 'busy', user_id: 'dev' }, admin)).token)
  const submit = () => rpc(s.jobs, 'SubmitJob', { source: BELL, shots: 1 }, md)

  const a = (await submit()).job.job_id
  await submit()
  const third = await outcome(submit())
  t.equal(third.code, grpc.status.RESOURCE_EXHAUSTED)
  t.equal(third.z3, 'Z3_QUOTA_EXCEEDED')
  t.equal(third.details, 'Tenant "busy" already has 2 of the 2 queued or running jobs this host allows a tenant (limit maxActiveJobsPerTenant); wait for some to end.')
  t.equal((await rpc(s.tenants, 'GetUsage', { tenant_id: 'busy' }, admin)).jobs, '2', 'the refusal was not charged')

  await rpc(s.host, 'Uncordon', { cpus, reason: 'run them' }, admin)
  await waitState(s, md, a, ['SUCCEEDED'])
  const over = await outcome(submit())
  t.equal(over.code, grpc.status.RESOURCE_EXHAUSTED, 'a tenant past its CPU-seconds gets no more jobs this month')
  t.match(over.details, /^Tenant "busy" has used \d+\.\d{3} of the 0\.000001 CPU-seconds this host allows a tenant in 2031-06 \(limit cpuSecondsPerMonth\); the period ends at 2031-07-01T00:00:00\.000Z\.$/)
})
