// SPDX-License-Identifier: Apache-2.0
// Trial expiry on the injected clock (Z3BRA_TEST_NOW_MS), and suspension,
// through the real daemon restarted on the same state dir at chosen
// instants, with the CLI an operator would use to fix each.
import * as grpc from '@grpc/grpc-js'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { cli, startDaemon, tempDir, type Daemon } from '../helpers/daemon'
import { BELL, bearer, outcome, rpc, services, type Services } from './helpers'

const T0 = Date.UTC(2031, 0, 10, 12, 0, 0)
const DAY = 86_400_000
const BILLING = 'https://billing.example/upgrade'
const dir = tempDir()
let token = ''

async function at(now: number, fn: (d: Daemon, s: Services) => Promise<void>): Promise<void> {
  const d = await startDaemon({ dir, env: { Z3BRA_TEST_NOW_MS: String(now) }, config: { billingUrl: BILLING } })
  const s = services(d)
  try {
    await fn(d, s)
  } finally {
    s.close()
    await d.stop()
  }
}

const submit = (s: Services, req = 'x') => outcome(rpc(s.jobs, 'SubmitJob', { source: BELL, shots: 3, client_request_id: req }, bearer(token)))

t.test('a free tenant runs for 14 days of trial, then gets FAILED_PRECONDITION saying why and where to upgrade', async (t) => {
  await at(T0, async (d, s) => {
    const created = await rpc(s.tenants, 'CreateTenant', { tenant_id: 'trialco', plan: 'free' }, bearer(d.token))
    t.equal(created.subscription, 'trial')
    t.equal(created.trial_ends_at.seconds, String((T0 + 14 * DAY) / 1000), 'the trial ends 14 days after creation')
    await rpc(s.tenants, 'AddUser', { tenant_id: 'trialco', user_id: 'dev', role: 'developer' }, bearer(d.token))
    token = (await rpc(s.tenants, 'IssueToken', { tenant_id: 'trialco', user_id: 'dev' }, bearer(d.token))).token
    t.equal((await submit(s, 'day-0')).code, grpc.status.OK)
  })
  await at(T0 + 14 * DAY - 1, async (_d, s) => {
    t.equal((await submit(s, 'last-ms')).code, grpc.status.OK, 'the last millisecond of the trial still submits')
  })
  await at(T0 + 14 * DAY, async (d, s) => {
    const o = await submit(s, 'expired')
    t.equal(o.code, grpc.status.FAILED_PRECONDITION)
    t.equal(o.z3, 'Z3_TRIAL_EXPIRED')
    t.equal(
      o.details,
      `Tenant "trialco"'s free trial ended at 2031-01-24T12:00:00.000Z; to go on submitting jobs, choose a plan with \`z3bra-agent tenant set-plan trialco professional\` (a system admin) or at ${BILLING}.`,
    )
    t.equal((await outcome(rpc(s.jobs, 'ListJobs', {}, bearer(token)))).code, grpc.status.OK, 'reads still work')
    const again = await submit(s, 'day-0')
    t.equal(again.code, grpc.status.OK, 'a resubmit of an acknowledged job still answers with it')
    const ev = (await rpc(s.audit, 'ListEvents', { tenant_id: 'trialco', outcome: 'FAILED_PRECONDITION' }, bearer(d.token))).events
    t.equal(ev.length, 1, 'the refusal is audited')
    t.equal(ev[0].code, 'Z3_TRIAL_EXPIRED')
    const r = await cli(d, ['tenant', 'set-plan', 'trialco', 'professional', '--json'])
    t.equal(r.code, 0, r.stderr)
    const shown = JSON.parse(r.stdout)
    t.equal(shown.subscription, 'active')
    t.equal(shown.trial_ends_at, null)
    t.equal((await submit(s, 'upgraded')).code, grpc.status.OK, 'an upgraded tenant submits again')
  })
})

t.test('a suspended tenant gets FAILED_PRECONDITION with the reason until it is resumed', async (t) => {
  await at(T0 + 20 * DAY, async (d, s) => {
    const r = await cli(d, ['tenant', 'suspend', 'trialco', '--reason', 'invoice 42 is overdue'])
    t.equal(r.code, 0, r.stderr)
    t.match(r.stdout, /Status: suspended \(invoice 42 is overdue\)/)
    const o = await submit(s, 'while-suspended')
    t.equal(o.code, grpc.status.FAILED_PRECONDITION)
    t.equal(o.z3, 'Z3_SUBSCRIPTION_INACTIVE')
    t.equal(
      o.details,
      `Tenant "trialco"'s subscription is suspended (invoice 42 is overdue); it takes no new jobs until a system admin reactivates it with \`z3bra-agent tenant resume trialco\`; to upgrade, choose a plan with \`z3bra-agent tenant set-plan trialco professional\` (a system admin) or at ${BILLING}.`,
    )
    const back = await cli(d, ['tenant', 'resume', 'trialco', '--json'])
    t.equal(back.code, 0, back.stderr)
    t.equal(JSON.parse(back.stdout).subscription, 'active')
    t.equal((await submit(s, 'resumed')).code, grpc.status.OK)
    const noTrial = await outcome(rpc(s.tenants, 'UpdateTenant', { tenant_id: 'trialco', subscription: 'trial' }, bearer(d.token)))
    t.equal(noTrial.code, grpc.status.INVALID_ARGUMENT, 'no second trial')
    t.equal(noTrial.details, 'Tenant "trialco" cannot go back to a trial.')
  })
})

t.test('a token issued with a lifetime expires on the injected clock', async (t) => {
  let short = ''
  await at(T0 + 30 * DAY, async (d, s) => {
    const r = await cli(d, ['token', 'issue', 'dev', '--tenant', 'trialco', '--ttl', '1h', '--json'])
    t.equal(r.code, 0, r.stderr)
    const issued = JSON.parse(r.stdout)
    t.equal(issued.expires_at, new Date(T0 + 30 * DAY + 3_600_000).toISOString())
    short = issued.token
    t.equal((await outcome(rpc(s.jobs, 'ListJobs', {}, bearer(short)))).code, grpc.status.OK)
  })
  await at(T0 + 30 * DAY + 3_600_000, async (_d, s) => {
    t.equal((await outcome(rpc(s.jobs, 'ListJobs', {}, bearer(short)))).code, grpc.status.UNAUTHENTICATED, 'refused from its expiry on')
  })
})

t.test('a malformed injected clock stops the daemon with a clear message', async (t) => {
  const other = tempDir()
  const d = await startDaemon({ dir: other, env: { Z3BRA_TEST_NOW_MS: 'yesterday' }, waitReady: false })
  t.equal(await d.exited, 2)
  t.equal(d.stderr(), 'z3bra-agentd: cannot set up access control: Z3BRA_TEST_NOW_MS must be milliseconds since the epoch; got "yesterday"\n')
  t.notOk(fs.existsSync(path.join(other, 'agent.sock')), 'nothing listens')
  await d.stop()
})
