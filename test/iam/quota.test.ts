// SPDX-License-Identifier: Apache-2.0
// Quotas through the real daemon, on an injected clock an hour before the
// end of March 2031 (UTC): 40 parallel submits racing for the last 5 jobs
// of the month, idempotent resubmits, the refund of a cancel before start,
// the user limit, and the usage stream the billing engine reads.
import * as grpc from '@grpc/grpc-js'
import t from 'tap'
import { startDaemon, type Daemon } from '../helpers/daemon'
import { BELL, bearer, outcome, rpc, services, waitState, type Services } from './helpers'

const NOW = Date.UTC(2031, 2, 31, 23, 0, 0)
const PERIOD_END = '2031-04-01T00:00:00.000Z'
const BILLING = 'https://billing.example/upgrade'

let d: Daemon
let s: Services
let md: grpc.Metadata
const admin = () => bearer(d.token)
const submit = (i: number | string, shots = 7) =>
  rpc(s.jobs, 'SubmitJob', { source: BELL, shots, classification: 'public', client_request_id: `req-${i}` }, md)
const usage = () => rpc(s.tenants, 'GetUsage', { tenant_id: 'racer' }, admin())

t.before(async () => {
  d = await startDaemon({ env: { Z3BRA_TEST_NOW_MS: String(NOW) }, config: { billingUrl: BILLING } })
  s = services(d)
  // Every CPU cordoned: accepted jobs stay QUEUED, so a cancel is always
  // before the start.
  const st = await rpc(s.host, 'GetStatus', {}, admin())
  const cpus = (st.cpus as any[]).map((c) => c.cpu).join(',')
  await rpc(s.host, 'Cordon', { cpus, reason: 'quota test keeps jobs queued' }, admin())
  await rpc(s.tenants, 'CreateTenant', { tenant_id: 'racer', plan: 'professional', overrides: { jobs_per_month: '10' } }, admin())
  await rpc(s.tenants, 'AddUser', { tenant_id: 'racer', user_id: 'bio', role: 'bioinformatician' }, admin())
  md = bearer((await rpc(s.tenants, 'IssueToken', { tenant_id: 'racer', user_id: 'bio' }, admin())).token)
})
t.teardown(async () => {
  s?.close()
  await d?.stop()
})

const exhausted = (used: number) =>
  `Tenant "racer" has used ${used} of the 10 jobs its professional plan allows in 2031-03 (limit jobsPerMonth); the period ends at ${PERIOD_END}, or choose a plan with \`z3bra-agent tenant set-plan racer professional\` (a system admin) or at ${BILLING}.`

const accepted: { id: string; req: string }[] = []

t.test('40 parallel submits racing for the last 5 jobs: exactly 5 accepted', async (t) => {
  for (let i = 0; i < 5; i++) await submit(`pre-${i}`)
  t.equal((await usage()).jobs, '5', '5 of 10 used before the race')
  const results = await Promise.all(Array.from({ length: 40 }, (_, i) => outcome(submit(`race-${i}`).then((r) => accepted.push({ id: r.job.job_id, req: `race-${i}` })))))
  const ok = results.filter((r) => r.code === grpc.status.OK)
  const refused = results.filter((r) => r.code !== grpc.status.OK)
  t.equal(ok.length, 5, 'exactly 5 accepted')
  t.equal(refused.length, 35)
  t.ok(refused.every((r) => r.code === grpc.status.RESOURCE_EXHAUSTED), 'every other one RESOURCE_EXHAUSTED')
  t.ok(refused.every((r) => r.z3 === 'Z3_QUOTA_EXCEEDED'))
  t.same([...new Set(refused.map((r) => r.details))], [exhausted(10)], 'naming the limit, the usage, the period end and the upgrade path')
  const u = await usage()
  t.equal(u.jobs, '10')
  t.equal(u.shots, '70')
  t.equal(u.month, '2031-03')
  t.equal(u.limits.jobs_per_month, '10')
  const listed = (await rpc(s.jobs, 'ListJobs', { page_size: 100 }, md)).jobs
  t.equal(listed.length, 10, 'exactly 10 job rows exist')
  const ev = (await rpc(s.audit, 'ListEvents', { tenant_id: 'racer', outcome: 'RESOURCE_EXHAUSTED', page_size: 1000 }, admin())).events
  t.equal(ev.length, 35, 'every refusal is an audit event')
  t.ok(ev.every((e: any) => e.action === 'JobService.SubmitJob' && e.code === 'Z3_QUOTA_EXCEEDED' && e.actor_user === 'bio'))
  t.equal((await rpc(s.audit, 'ListEvents', { tenant_id: 'racer', action: 'job.submit', page_size: 1000 }, admin())).events.length, 10)
})

t.test('an idempotent resubmit is answered with its job and not charged again', async (t) => {
  const first = accepted[0]
  const again = await submit(first.req)
  t.equal(again.existing, true)
  t.equal(again.job.job_id, first.id)
  t.equal((await usage()).jobs, '10', 'still 10')
  const refusedBefore = await outcome(submit('race-never'))
  t.equal(refusedBefore.code, grpc.status.RESOURCE_EXHAUSTED, 'a new request id is still refused')
})

t.test('cancel before start gives the unit back; the usage stream follows', async (t) => {
  const stream = s.tenants.StreamUsage({ tenant_id: 'racer', follow: true }, admin())
  const seen: any[] = []
  const next = () =>
    new Promise<any>((resolve) => {
      if (seen.length) return resolve(seen.shift())
      stream.once('data', () => resolve(seen.shift()))
    })
  stream.on('data', (m: any) => seen.push(m))
  stream.on('error', () => {})
  t.equal((await next()).jobs, '10', 'the stream starts with the current usage')
  const c = await rpc(s.jobs, 'CancelJob', { job_id: accepted[1].id, reason: 'not needed' }, md)
  t.equal(c.state, 'CANCELLED')
  const u = await usage()
  t.equal(u.jobs, '9', 'the cancelled job no longer counts')
  t.equal(u.shots, '63')
  const pushed = await next()
  t.equal(pushed.jobs, '9', 'the stream sends the refund')
  t.equal(pushed.period_end.seconds, String(Date.parse(PERIOD_END) / 1000))
  const again = await rpc(s.jobs, 'CancelJob', { job_id: accepted[1].id }, md)
  t.equal(again.state, 'CANCELLED', 'cancelling twice is a no-op')
  t.equal((await usage()).jobs, '9', 'and refunds nothing more')
  const fresh = await submit('after-refund')
  t.equal(fresh.existing, false, 'the unit given back is usable')
  t.equal((await next()).jobs, '10', 'the stream sends the new charge')
  stream.cancel()
  const full = await outcome(submit('after-refund-2'))
  t.equal(full.code, grpc.status.RESOURCE_EXHAUSTED)
  t.equal(full.details, exhausted(10))
})

t.test('a job that ran keeps its charge', async (t) => {
  const st = await rpc(s.host, 'GetStatus', {}, admin())
  await rpc(s.host, 'Uncordon', { cpus: (st.cpus as any[]).map((c) => c.cpu).join(','), reason: 'run them' }, admin())
  const j = await waitState(s, md, accepted[2].id, ['SUCCEEDED'])
  t.equal(j.state, 'SUCCEEDED')
  const c = await outcome(rpc(s.jobs, 'CancelJob', { job_id: accepted[2].id }, md))
  t.equal(c.code, grpc.status.FAILED_PRECONDITION)
  t.equal(c.z3, 'Z3_JOB_ENDED')
  t.equal((await usage()).jobs, '10')
})

t.test('usage of another month, a bad month, and the billing stream across tenants', async (t) => {
  const feb = await rpc(s.tenants, 'GetUsage', { tenant_id: 'racer', month: '2031-02' }, admin())
  t.equal(feb.jobs, '0')
  t.equal(feb.period_start.seconds, String(Date.UTC(2031, 1, 1) / 1000))
  const bad = await outcome(rpc(s.tenants, 'GetUsage', { tenant_id: 'racer', month: '2031-13' }, admin()))
  t.equal(bad.code, grpc.status.INVALID_ARGUMENT)
  t.equal(bad.details, 'month must be YYYY-MM; got "2031-13".')
  const all: any[] = await new Promise((resolve, reject) => {
    const out: any[] = []
    const st = s.tenants.StreamUsage({ tenant_id: '*' }, admin())
    st.on('data', (m: any) => out.push(m))
    st.on('error', reject)
    st.on('end', () => resolve(out))
  })
  t.same(all.map((u) => [u.tenant_id, u.jobs]), [['racer', '10'], ['system', '0']])
  const denied = await new Promise<any>((resolve) => {
    const st = s.tenants.StreamUsage({ tenant_id: '*' }, md)
    st.on('data', () => {})
    st.on('error', (e: any) => resolve(e))
    st.on('end', () => resolve(null))
  })
  t.equal(denied?.code, grpc.status.PERMISSION_DENIED, 'only system_admin streams every tenant')
})

t.test('the user limit of a plan', async (t) => {
  const created = await rpc(s.tenants, 'CreateTenant', { tenant_id: 'tiny', plan: 'free' }, admin())
  t.match(created.limits, { jobs_per_month: '100', users: '10', storage_bytes: String(10 * 1024 ** 3) }, 'free: 100 jobs, 10 users, 10 GiB')
  for (let i = 0; i < 10; i++) await rpc(s.tenants, 'AddUser', { tenant_id: 'tiny', user_id: `u${i}`, role: 'developer' }, admin())
  const over = await outcome(rpc(s.tenants, 'AddUser', { tenant_id: 'tiny', user_id: 'u10', role: 'developer' }, admin()))
  t.equal(over.code, grpc.status.RESOURCE_EXHAUSTED)
  t.equal(over.details, 'Tenant "tiny" has 10 of the 10 users its free plan allows (limit users); move it to a larger plan to add more.')
  t.equal((await rpc(s.tenants, 'ListUsers', { tenant_id: 'tiny' }, admin())).users.length, 10, 'nothing was added')
})
