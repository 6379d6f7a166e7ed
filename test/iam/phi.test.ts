// SPDX-License-Identifier: Apache-2.0
// PHI rules through the real daemon: the role's PHI access, the tenant's
// HIPAA setting and BAA, the justification, the research plan; and the PHI
// access record written when a PHI job's result is read, checked both
// through AuditService and in the store itself with the sqlite3 CLI.
import * as grpc from '@grpc/grpc-js'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { cli, startDaemon, type Daemon } from '../helpers/daemon'
import { BELL, bearer, outcome, rpc, services, waitState, type Services } from './helpers'

let d: Daemon
let s: Services
const tok = new Map<string, grpc.Metadata>()
const admin = () => bearer(d.token)

t.before(async () => {
  d = await startDaemon()
  s = services(d)
  const tenants: [string, string, boolean, boolean][] = [
    ['clinic', 'enterprise', true, true],
    ['nohipaa', 'enterprise', false, true],
    ['nobaa', 'enterprise', true, false],
    ['lab', 'research', true, true],
  ]
  for (const [id, plan, hipaa, baa] of tenants) {
    await rpc(s.tenants, 'CreateTenant', { tenant_id: id, plan, hipaa_enabled: hipaa, baa_signed: baa }, admin())
  }
  const users: [string, string, string][] = [
    ['clinic', 'onco', 'oncologist'],
    ['clinic', 'gc', 'genetic_counselor'],
    ['clinic', 'res', 'clinical_researcher'],
    ['clinic', 'oadm', 'org_admin'],
    ['nohipaa', 'onco', 'oncologist'],
    ['nobaa', 'onco', 'oncologist'],
    ['lab', 'onco', 'oncologist'],
  ]
  for (const [tenant, user, role] of users) {
    await rpc(s.tenants, 'AddUser', { tenant_id: tenant, user_id: user, role }, admin())
    const token = (await rpc(s.tenants, 'IssueToken', { tenant_id: tenant, user_id: user }, admin())).token
    tok.set(`${tenant}/${user}`, bearer(token))
    fs.writeFileSync(path.join(d.dir, `${tenant}-${user}.token`), token + '\n', { mode: 0o600 })
  }
})
t.teardown(async () => {
  s?.close()
  await d?.stop()
})

const submit = (who: string, classification: string, justification = '') =>
  outcome(rpc(s.jobs, 'SubmitJob', { source: BELL, shots: 4, classification, justification }, tok.get(who)!))

t.test('who may submit a phi job, and the exact refusal of each who may not', async (t) => {
  const cases: [string, string, string, number, string, string][] = [
    ['clinic/res', 'phi', 'cohort study', grpc.status.PERMISSION_DENIED, 'Z3_CLASSIFICATION_DENIED', 'Role clinical_researcher has no PHI access, so it may not submit a phi job.'],
    ['clinic/oadm', 'phi', 'admin check', grpc.status.PERMISSION_DENIED, 'Z3_CLASSIFICATION_DENIED', 'Role org_admin has no PHI access, so it may not submit a phi job.'],
    ['nohipaa/onco', 'phi', 'tumour board', grpc.status.FAILED_PRECONDITION, 'Z3_HIPAA_REQUIRED', 'Tenant "nohipaa" needs HIPAA enabled before it may run phi jobs.'],
    ['nobaa/onco', 'phi', 'tumour board', grpc.status.FAILED_PRECONDITION, 'Z3_HIPAA_REQUIRED', 'Tenant "nobaa" needs a signed BAA before it may run phi jobs.'],
    ['clinic/onco', 'phi', '', grpc.status.INVALID_ARGUMENT, 'Z3_JUSTIFICATION_REQUIRED', 'A phi job needs a justification (why this PHI is processed).'],
    ['clinic/onco', 'phi', '   ', grpc.status.INVALID_ARGUMENT, 'Z3_JUSTIFICATION_REQUIRED', 'A phi job needs a justification (why this PHI is processed).'],
    ['lab/onco', 'phi', 'tumour board', grpc.status.PERMISSION_DENIED, 'Z3_CLASSIFICATION_DENIED', 'Tenant "lab" is on the research plan, which runs de-identified and public work only.'],
    ['clinic/onco', 'secret', '', grpc.status.INVALID_ARGUMENT, 'Z3_INVALID_ARGUMENT', 'classification must be one of phi, de-identified, public; got "secret".'],
    ['clinic/onco', 'phi', 'x'.repeat(1001), grpc.status.INVALID_ARGUMENT, 'Z3_INVALID_ARGUMENT', 'justification is longer than 1000 characters.'],
  ]
  for (const [who, cls, why, code, z3, details] of cases) {
    const o = await submit(who, cls, why)
    t.equal(o.code, code, `${who} ${cls}: ${grpc.status[code]}`)
    t.equal(o.z3, z3)
    t.equal(o.details, details)
  }
  t.equal((await submit('lab/onco', 'de-identified')).code, grpc.status.OK, 'the research plan runs de-identified work')
  t.equal((await submit('lab/onco', 'public')).code, grpc.status.OK, 'and public work')
  t.equal((await submit('clinic/res', 'de-identified')).code, grpc.status.OK, 'a role without PHI access runs de-identified work')
  const refused = (await rpc(s.audit, 'ListEvents', { action: 'JobService.SubmitJob', page_size: 1000 }, admin())).events.filter((e: any) => e.outcome !== 'ok')
  t.equal(refused.length, cases.length, 'every refusal is an audit event')
  for (const tenant of ['nohipaa', 'nobaa', 'lab']) {
    t.equal((await rpc(s.jobs, 'ListJobs', {}, tok.get(`${tenant}/onco`)!)).jobs.filter((j: any) => j.classification === 'phi').length, 0, `${tenant} has no phi job`)
  }
})

let phiJob = ''
let publicJob = ''

t.test('an oncologist of a HIPAA tenant with a BAA runs a phi job with a justification, through the CLI', async (t) => {
  const r = await cli({ socket: d.socket, tokenFile: path.join(d.dir, 'clinic-onco.token') }, [
    'submit', '-', '--classification', 'phi', '--justification', 'tumour board 2031-03-04, patient 17', '--shots', '8', '--json',
  ], BELL)
  t.equal(r.code, 0, r.stderr)
  const j = JSON.parse(r.stdout)
  t.equal(j.classification, 'phi')
  t.equal(j.justification, 'tumour board 2031-03-04, patient 17')
  phiJob = j.job_id
  await waitState(s, tok.get('clinic/onco')!, phiJob, ['SUCCEEDED'])
  const pub = await rpc(s.jobs, 'SubmitJob', { source: BELL, shots: 4, classification: 'public' }, tok.get('clinic/onco')!)
  publicJob = pub.job.job_id
  await waitState(s, tok.get('clinic/onco')!, publicJob, ['SUCCEEDED'])
})

t.test('roles without PHI access do not see the phi job at all', async (t) => {
  for (const who of ['clinic/res', 'clinic/oadm']) {
    const get = await outcome(rpc(s.jobs, 'GetJob', { job_id: phiJob }, tok.get(who)!))
    t.equal(get.code, grpc.status.NOT_FOUND, `${who}: GetJob NOT_FOUND`)
    const res = await outcome(rpc(s.jobs, 'GetJobResult', { job_id: phiJob, justification: 'curious' }, tok.get(who)!))
    t.equal(res.code, grpc.status.NOT_FOUND, `${who}: GetJobResult NOT_FOUND`)
    const list = (await rpc(s.jobs, 'ListJobs', { page_size: 100 }, tok.get(who)!)).jobs
    t.notOk(list.some((j: any) => j.job_id === phiJob), `${who}: not listed`)
  }
  const other = await outcome(rpc(s.jobs, 'GetJobResult', { job_id: phiJob }, tok.get('lab/onco')!))
  t.equal(other.code, grpc.status.NOT_FOUND, "another tenant's oncologist: NOT_FOUND")
})

t.test('reading a phi result writes a PHI access record; reading a public one does not', async (t) => {
  const read = await rpc(s.jobs, 'GetJobResult', { job_id: phiJob, justification: 'family counselling session' }, tok.get('clinic/gc')!)
  t.equal(Object.values(read.counts as Record<string, string>).reduce((a, b) => a + Number(b), 0), 8)
  await rpc(s.jobs, 'GetJobResult', { job_id: phiJob }, tok.get('clinic/onco')!)
  await rpc(s.jobs, 'GetJobResult', { job_id: publicJob }, tok.get('clinic/gc')!)
  const ev = (await rpc(s.audit, 'ListEvents', { tenant_id: 'clinic', action: 'job.result.phi_read' }, admin())).events
  t.equal(ev.length, 2, 'two phi reads, no record of the public one')
  const peer = `unix:${d.socket}`
  t.match(ev[0], { actor_user: 'gc', actor_role: 'genetic_counselor', actor_tenant: 'clinic', tenant_id: 'clinic', resource: 'job_result', resource_id: phiJob, peer })
  t.same(JSON.parse(ev[0].details_json), { justification: 'family counselling session' })
  t.match(ev[1], { actor_user: 'onco', actor_role: 'oncologist', resource_id: phiJob, peer })
  t.same(JSON.parse(ev[1].details_json), { justification: 'tumour board 2031-03-04, patient 17' }, "without one, the job's own justification")

  const auditTimes = ev.map((e: any) => Number(e.time.seconds) * 1000 + Math.floor(e.time.nanos / 1e6))
  const seqs = ev.map((e: any) => Number(e.seq))
  s.close()
  t.equal(await d.stop(), 0)
  const rows = execFileSync('sqlite3', ['-json', path.join(d.dir, 'agent.db'), 'SELECT * FROM phi_access ORDER BY seq'], { encoding: 'utf8' })
  const recs = JSON.parse(rows)
  t.equal(recs.length, 2)
  t.same(
    recs.map((r: any) => [r.tenant_id, r.user_id, r.role, r.job_id, r.justification, r.peer, r.time, r.audit_seq]),
    [
      ['clinic', 'gc', 'genetic_counselor', phiJob, 'family counselling session', peer, auditTimes[0], seqs[0]],
      ['clinic', 'onco', 'oncologist', phiJob, 'tumour board 2031-03-04, patient 17', peer, auditTimes[1], seqs[1]],
    ],
    'user, role, tenant, job, justification, peer and time, linked to the audit event',
  )
  let refused = ''
  try {
    execFileSync('sqlite3', [path.join(d.dir, 'agent.db'), "UPDATE phi_access SET justification = 'edited'"], { encoding: 'utf8', stdio: 'pipe' })
  } catch (err) {
    refused = String((err as { stderr?: string }).stderr)
  }
  t.match(refused, /phi_access is append-only/, 'the schema refuses to change a PHI access record')
})
