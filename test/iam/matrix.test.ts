// SPDX-License-Identifier: Apache-2.0
// Every role against every method, in its own tenant and in a foreign one,
// through the real gRPC server, with the exact status code of each cell
// written out below (not derived from the role table, so the table is what
// is under test). O = OK, D = PERMISSION_DENIED, N = NOT_FOUND,
// P = FAILED_PRECONDITION (allowed, but the job already ended), - = the
// method has no target tenant.
import * as grpc from '@grpc/grpc-js'
import t from 'tap'
import { startDaemon, type Daemon } from '../helpers/daemon'
import { BELL, bearer, outcome, rpc, services, waitState, watchFirst, type Outcome, type Services } from './helpers'

const OPS = [
  'submit', 'get', 'list', 'watch', 'cancel', 'result', 'status', 'tcreate', 'tget', 'tlist',
  'tupdate', 'uadd', 'ulist', 'tissue', 'tklist', 'trevoke', 'usage', 'alist', 'averify',
] as const
type Op = (typeof OPS)[number]

// One row per role: own tenant, then foreign tenant, one letter per op in
// the order of OPS.
//                          s g l w c r s t t t t u u t t t u a a
const EXPECTED: Record<string, [string, string]> = {
  // system_admin crosses tenants: every targeted cell in the foreign tenant
  // behaves as in its own.
  system_admin:        ['OOOOPOOOOOOOOOOOOOO', '-O-OPO--O-OOOOOOOO-'],
  org_admin:           ['OOOOPOODOODOODOOOOD', '-N-NN---N-DNNNNNNN-'],
  oncologist:          ['OOOOPODDDDDDDDDDDDD', '-N-NN---D-DDDDDDDD-'],
  pathologist:         ['OOOOPODDDDDDDDDDDDD', '-N-NN---D-DDDDDDDD-'],
  genetic_counselor:   ['DOOODODDDDDDDDDDDDD', '-N-ND---D-DDDDDDDD-'],
  clinical_researcher: ['OOOOPODDDDDDDDDDDDD', '-N-NN---D-DDDDDDDD-'],
  lab_analyst:         ['OOOODODDDDDDDDDDDDD', '-N-ND---D-DDDDDDDD-'],
  bioinformatician:    ['OOOOPOODDDDDDDDDDDD', '-N-NN---D-DDDDDDDD-'],
  developer:           ['OOOODOODDDDDDDDDDDD', '-N-NN---D-DDDDDDDD-'],
  billing_admin:       ['DDDDDDDDOODDDDDDODD', '-D-DD---N-DDDDDDND-'],
  compliance_auditor:  ['DOOODDDDOODDODODDOO', '-N-ND---N-DDNDNDDN-'],
  patient:             ['DNONDNDDDDDDDDDDDDD', '-N-ND---D-DDDDDDDD-'],
  vendor:              ['ONONDNDDDDDDDDDDDDD', '-N-ND---D-DDDDDDDD-'],
}

const CODE: Record<string, number> = {
  O: grpc.status.OK,
  D: grpc.status.PERMISSION_DENIED,
  N: grpc.status.NOT_FOUND,
  P: grpc.status.FAILED_PRECONDITION,
}

interface World {
  tenant: string
  jobId: string
  plan: string
  /** An existing user of the tenant, for tokens. */
  user: string
}

let d: Daemon
let s: Services
const admin = () => bearer(d.token)
const tokens = new Map<string, string>()
const worlds: Record<string, World> = {}
let serial = 0

t.before(async () => {
  d = await startDaemon()
  s = services(d)
  for (const [id, plan] of [['acme', 'enterprise'], ['globex', 'professional']]) {
    await rpc(s.tenants, 'CreateTenant', { tenant_id: id, plan, hipaa_enabled: true, baa_signed: true }, admin())
  }
  const issue = async (tenant: string, user: string, role: string) => {
    await rpc(s.tenants, 'AddUser', { tenant_id: tenant, user_id: user, role }, admin())
    return (await rpc(s.tenants, 'IssueToken', { tenant_id: tenant, user_id: user }, admin())).token as string
  }
  for (const role of Object.keys(EXPECTED)) {
    if (role !== 'system_admin') tokens.set(role, await issue('acme', `u-${role}`, role))
  }
  tokens.set('system_admin', d.token)
  const submitter = await issue('acme', 'submitter', 'oncologist')
  const gdev = await issue('globex', 'g-dev', 'developer')
  const submit = async (token: string) => {
    const j = (await rpc(s.jobs, 'SubmitJob', { source: BELL, shots: 10, classification: 'public' }, bearer(token))).job
    await waitState(s, bearer(token), j.job_id, ['SUCCEEDED'])
    return j.job_id as string
  }
  worlds.system = { tenant: 'system', jobId: await submit(d.token), plan: 'custom', user: 'admin' }
  worlds.acme = { tenant: 'acme', jobId: await submit(submitter), plan: 'enterprise', user: 'submitter' }
  worlds.globex = { tenant: 'globex', jobId: await submit(gdev), plan: 'professional', user: 'g-dev' }
})
t.teardown(async () => {
  s?.close()
  await d?.stop()
})

async function cell(role: string, op: Op, w: World): Promise<Outcome> {
  const md = bearer(tokens.get(role)!)
  const n = ++serial
  switch (op) {
    case 'submit':
      return outcome(rpc(s.jobs, 'SubmitJob', { source: BELL, shots: 5, classification: 'public' }, md))
    case 'get':
      return outcome(rpc(s.jobs, 'GetJob', { job_id: w.jobId }, md))
    case 'list':
      return outcome(rpc(s.jobs, 'ListJobs', {}, md))
    case 'watch':
      return watchFirst(s.jobs, w.jobId, md)
    case 'cancel':
      return outcome(rpc(s.jobs, 'CancelJob', { job_id: w.jobId }, md))
    case 'result':
      return outcome(rpc(s.jobs, 'GetJobResult', { job_id: w.jobId }, md))
    case 'status':
      return outcome(rpc(s.host, 'GetStatus', {}, md))
    case 'tcreate':
      return outcome(rpc(s.tenants, 'CreateTenant', { tenant_id: `made-${n}`, plan: 'professional' }, md))
    case 'tget':
      return outcome(rpc(s.tenants, 'GetTenant', { tenant_id: w.tenant }, md))
    case 'tlist':
      return outcome(rpc(s.tenants, 'ListTenants', {}, md))
    case 'tupdate':
      return outcome(rpc(s.tenants, 'UpdateTenant', { tenant_id: w.tenant, plan: w.plan }, md))
    case 'uadd':
      return outcome(rpc(s.tenants, 'AddUser', { tenant_id: w.tenant, user_id: `added-${n}`, role: 'developer' }, md))
    case 'ulist':
      return outcome(rpc(s.tenants, 'ListUsers', { tenant_id: w.tenant }, md))
    case 'tissue':
      return outcome(rpc(s.tenants, 'IssueToken', { tenant_id: w.tenant, user_id: w.user, ttl_seconds: 60 }, md))
    case 'tklist':
      return outcome(rpc(s.tenants, 'ListTokens', { tenant_id: w.tenant }, md))
    case 'trevoke': {
      const fresh = await rpc(s.tenants, 'IssueToken', { tenant_id: w.tenant, user_id: w.user }, admin())
      return outcome(rpc(s.tenants, 'RevokeToken', { tenant_id: w.tenant, token_id: fresh.info.token_id }, md))
    }
    case 'usage':
      return outcome(rpc(s.tenants, 'GetUsage', { tenant_id: w.tenant }, md))
    case 'alist':
      return outcome(rpc(s.audit, 'ListEvents', { tenant_id: w.tenant }, md))
    case 'averify':
      return outcome(rpc(s.audit, 'VerifyChain', {}, md))
  }
}

t.test('every role x method x own/foreign tenant gives exactly the expected status', async (t) => {
  let cells = 0
  for (const [role, [own, foreign]] of Object.entries(EXPECTED)) {
    t.equal(own.length, OPS.length, `${role}: own row is complete`)
    t.equal(foreign.length, OPS.length, `${role}: foreign row is complete`)
    const home = role === 'system_admin' ? worlds.system : worlds.acme
    const away = role === 'system_admin' ? worlds.acme : worlds.globex
    for (const [side, row, w] of [['own', own, home], ['foreign', foreign, away]] as const) {
      for (let i = 0; i < OPS.length; i++) {
        if (row[i] === '-') continue
        const got = await cell(role, OPS[i], w)
        cells++
        t.equal(got.code, CODE[row[i]], `${role} ${OPS[i]} ${side}: ${grpc.status[got.code]} ${got.details}`)
      }
    }
  }
  t.ok(cells >= 13 * 19, `${cells} cells checked`)
})

t.test("another tenant's job is NOT_FOUND with the same message as a job that does not exist", async (t) => {
  const md = bearer(tokens.get('oncologist')!)
  const foreign = await outcome(rpc(s.jobs, 'GetJob', { job_id: worlds.globex.jobId }, md))
  const none = await outcome(rpc(s.jobs, 'GetJob', { job_id: 'no-such-job' }, md))
  t.equal(foreign.code, grpc.status.NOT_FOUND)
  t.equal(foreign.details.replace(worlds.globex.jobId, 'X'), none.details.replace('no-such-job', 'X'))
  t.equal(foreign.z3, none.z3)
})

t.test('listings never include another tenant', async (t) => {
  for (const role of ['org_admin', 'oncologist', 'compliance_auditor']) {
    const md = bearer(tokens.get(role)!)
    const jobs = (await rpc(s.jobs, 'ListJobs', { page_size: 500 }, md)).jobs
    t.ok(jobs.length > 0, `${role} sees its tenant's jobs`)
    t.ok(jobs.every((j: any) => j.tenant_id === 'acme'), `${role}: only acme jobs`)
  }
  const tenants = (await rpc(s.tenants, 'ListTenants', {}, bearer(tokens.get('org_admin')!))).tenants
  t.same(tenants.map((x: any) => x.tenant_id), ['acme'])
  const events = (await rpc(s.audit, 'ListEvents', { page_size: 1000 }, bearer(tokens.get('compliance_auditor')!))).events
  t.ok(events.length > 0)
  t.ok(events.every((e: any) => e.tenant_id === 'acme'), 'audit events are scoped to the tenant')
  const all = (await rpc(s.tenants, 'ListTenants', {}, admin())).tenants.map((x: any) => x.tenant_id)
  t.ok(all.includes('globex') && all.includes('system'), 'system_admin sees every tenant')
})

t.test('denials are audited under the caller tenant, with actor and code', async (t) => {
  const md = bearer(tokens.get('patient')!)
  await outcome(rpc(s.tenants, 'CreateTenant', { tenant_id: 'nope' }, md))
  const ev = (await rpc(s.audit, 'ListEvents', { tenant_id: 'acme', outcome: 'PERMISSION_DENIED', page_size: 1000 }, admin())).events
  const mine = ev.filter((e: any) => e.actor_user === 'u-patient' && e.action === 'TenantService.CreateTenant')
  t.ok(mine.length >= 1, 'the refusal is an audit event')
  t.equal(mine[mine.length - 1].code, 'Z3_PERMISSION_DENIED')
  t.equal(mine[mine.length - 1].actor_role, 'patient')
  const globex = (await rpc(s.audit, 'ListEvents', { tenant_id: 'globex', page_size: 1000 }, admin())).events
  t.notOk(globex.some((e: any) => e.actor_tenant === 'acme'), "acme's probes of globex do not appear in globex's log")
})

t.test('tokens: shown once, stored hashed, revocable, expiring', async (t) => {
  const issued = await rpc(s.tenants, 'IssueToken', { tenant_id: 'acme', user_id: 'submitter', name: 'ci', ttl_seconds: 1 }, admin())
  t.match(issued.token, /^z3a_/)
  const listed = (await rpc(s.tenants, 'ListTokens', { tenant_id: 'acme', user_id: 'submitter' }, admin())).tokens
  const row = listed.find((x: any) => x.token_id === issued.info.token_id)
  t.ok(row, 'listed')
  t.notOk(JSON.stringify(listed).includes(issued.token), 'no listing carries the secret')
  t.ok(await outcome(rpc(s.jobs, 'ListJobs', {}, bearer(issued.token))).then((o) => o.code === 0), 'works at once')
  await new Promise((r) => setTimeout(r, 1100))
  const expired = await outcome(rpc(s.jobs, 'ListJobs', {}, bearer(issued.token)))
  t.equal(expired.code, grpc.status.UNAUTHENTICATED, 'refused after its expiry')
  const other = await rpc(s.tenants, 'IssueToken', { tenant_id: 'acme', user_id: 'submitter' }, admin())
  t.equal((await outcome(rpc(s.jobs, 'ListJobs', {}, bearer(other.token)))).code, 0)
  await rpc(s.tenants, 'RevokeToken', { tenant_id: 'acme', token_id: other.info.token_id }, admin())
  t.equal((await outcome(rpc(s.jobs, 'ListJobs', {}, bearer(other.token)))).code, grpc.status.UNAUTHENTICATED, 'refused once revoked')
})

t.test('the bootstrap admin is system_admin of the system tenant', async (t) => {
  const users = (await rpc(s.tenants, 'ListUsers', { tenant_id: 'system' }, admin())).users
  // The matrix above added users to the system tenant; the bootstrap one is
  // there beside them, with its role.
  t.same(users.filter((u: any) => u.user_id === 'admin').map((u: any) => u.role), ['system_admin'])
  const sys = await rpc(s.tenants, 'GetTenant', { tenant_id: 'system' }, admin())
  t.equal(sys.subscription, 'active')
  const bad = await outcome(rpc(s.tenants, 'AddUser', { tenant_id: 'acme', user_id: 'root2', role: 'system_admin' }, admin()))
  t.equal(bad.code, grpc.status.INVALID_ARGUMENT, 'system_admin exists only in the system tenant')
})
