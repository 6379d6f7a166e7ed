// SPDX-License-Identifier: Apache-2.0
// The IAM commands of the real CLI against the real daemon: tenant, user,
// token, usage and audit, their --json documents and their refusals.
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { cli, startDaemon, type Daemon } from '../helpers/daemon'
import { BELL } from './helpers'

let d: Daemon
const json = async (args: string[], input?: string) => {
  const r = await cli(d, [...args, '--json'], input)
  if (r.code !== 0) throw new Error(`${args.join(' ')} exited ${r.code}: ${r.stderr}`)
  return JSON.parse(r.stdout)
}

t.before(async () => {
  d = await startDaemon()
})
t.teardown(async () => {
  await d?.stop()
})

t.test('tenant create, show, list, set-plan, set, suspend, resume', async (t) => {
  const c = await json(['tenant', 'create', 'acme', '--name', 'Acme Oncology', '--plan', 'professional', '--hipaa', '--baa', '--jobs-per-month', '250'])
  t.match(c, { tenant_id: 'acme', name: 'Acme Oncology', plan: 'professional', subscription: 'active', hipaa_enabled: true, trial_ends_at: null })
  t.same(c.limits, { jobs_per_month: 250, users: 50, storage_bytes: 100 * 1024 ** 3, job_timeout_seconds: null, cpus_per_job: null })
  t.same(c.overrides, { jobs_per_month: 250 })
  t.ok(c.baa_signed_at)
  t.same((await json(['tenant', 'list'])).map((x: any) => x.tenant_id), ['acme', 'system'])
  const p = await json(['tenant', 'set-plan', 'acme', 'enterprise'])
  t.same(p.limits, { jobs_per_month: 250, users: null, storage_bytes: 1024 ** 4, job_timeout_seconds: null, cpus_per_job: null }, 'the override stays; enterprise has unlimited users')
  const st = await json(['tenant', 'set', 'acme', '--baa', 'off', '--storage-gb', '2'])
  t.equal(st.baa_signed_at, null)
  t.equal(st.limits.storage_bytes, 2 * 1024 ** 3)
  t.match(await json(['tenant', 'suspend', 'acme', '--reason', 'audit pending']), { subscription: 'suspended', status_reason: 'audit pending' })
  t.match(await json(['tenant', 'resume', 'acme']), { subscription: 'active' })
  const shown = await cli(d, ['tenant', 'show', 'acme'])
  t.match(shown.stdout, /^tenant acme\n +Name: Acme Oncology\n +Plan: enterprise\n +Status: active\n/)
  const bad = await cli(d, ['tenant', 'set-plan', 'acme', 'platinum'])
  t.equal(bad.code, 2, 'a usage error')
  t.match(bad.stderr, /'platinum' is invalid for argument 'plan'\. Allowed choices are free, professional, enterprise, research, custom/)
  const dup = await cli(d, ['tenant', 'create', 'acme'])
  t.equal(dup.code, 1)
  t.equal(dup.stderr, 'z3bra-agent: Tenant "acme" already exists. (ALREADY_EXISTS, Z3_ALREADY_EXISTS)\n')
  const badId = await cli(d, ['tenant', 'create', 'Bad Id'])
  t.match(badId.stderr, /The tenant id must be 1 to 64 characters .* got "Bad Id"\. \(INVALID_ARGUMENT, Z3_INVALID_ARGUMENT\)/)
  t.same((await json(['tenant', 'list'])).map((x: any) => x.tenant_id), ['acme', 'system'], 'refusals changed nothing')
})

t.test('user add and list; token issue, list, revoke; usage; audit list and verify', async (t) => {
  t.match(await json(['user', 'add', 'onco', '--tenant', 'acme', '--role', 'oncologist', '--name', 'Dr. Onco']), { tenant_id: 'acme', user_id: 'onco', role: 'oncologist' })
  const badRole = await cli(d, ['user', 'add', 'x', '--tenant', 'acme', '--role', 'wizard'])
  t.equal(
    badRole.stderr,
    'z3bra-agent: Role "wizard" is not in this host\'s role table (system_admin, org_admin, oncologist, pathologist, genetic_counselor, ' +
      'clinical_researcher, lab_analyst, bioinformatician, developer, billing_admin, compliance_auditor, patient, vendor). (INVALID_ARGUMENT, Z3_INVALID_ARGUMENT)\n',
  )
  t.same((await json(['user', 'list', '--tenant', 'acme'])).map((u: any) => [u.user_id, u.role]), [['onco', 'oncologist']])
  const out = path.join(d.dir, 'onco.token')
  const issued = await json(['token', 'issue', 'onco', '--tenant', 'acme', '--name', 'laptop', '--ttl', '30d', '--out', out])
  t.match(issued, { tenant_id: 'acme', user_id: 'onco', role: 'oncologist', name: 'laptop', token: null, token_file: out })
  t.equal(Date.parse(issued.expires_at) - Date.parse(issued.created_at), 30 * 86_400_000)
  t.equal(fs.statSync(out).mode & 0o777, 0o600)
  const onco = { socket: d.socket, tokenFile: out }
  const sub = await cli(onco, ['submit', '-', '--shots', '5', '--wait', '--json'], BELL)
  t.equal(sub.code, 0, sub.stderr)
  t.equal(JSON.parse(sub.stdout).job.classification, 'public')
  const u = await json(['usage', 'acme'])
  t.match(u, { tenant_id: 'acme', plan: 'enterprise', jobs: 1, shots: 5, qpu_seconds: 0 })
  t.ok(u.result_bytes > 0)
  const own = await cli(onco, ['usage'])
  t.equal(own.code, 1, 'an oncologist may not read usage')
  t.match(own.stderr, /\(PERMISSION_DENIED, Z3_PERMISSION_DENIED\)\n$/)
  const badMonth = await cli(d, ['usage', 'acme', '--month', '2031-3'])
  t.equal(badMonth.code, 2, 'a usage error')
  t.match(badMonth.stderr, /--month is YYYY-MM/)
  const toks = await json(['token', 'list', '--tenant', 'acme'])
  t.same(toks.map((x: any) => [x.token_id, x.revoked_at]), [[issued.token_id, null]])
  t.notOk(JSON.stringify(toks).includes(fs.readFileSync(out, 'utf8').trim()), 'no secret in the listing')
  const rv = await json(['token', 'revoke', issued.token_id, '--tenant', 'acme'])
  t.ok(rv.revoked_at)
  const after = await cli(onco, ['jobs'])
  t.equal(after.code, 1)
  t.match(after.stderr, /\(UNAUTHENTICATED, Z3_UNAUTHENTICATED\)/)
  const ttl = await cli(d, ['token', 'issue', 'onco', '--tenant', 'acme', '--ttl', '400d'])
  t.equal(ttl.code, 2, 'a usage error')
  t.match(ttl.stderr, /--ttl is at most 366d/)
  const events = await json(['audit', 'list', '--tenant', 'acme', '--action', 'TenantService.RevokeToken'])
  t.equal(events.length, 1)
  t.match(events[0], { tenant_id: 'acme', actor: { user_id: 'admin', role: 'system_admin', tenant_id: 'system' }, outcome: 'ok', resource_id: issued.token_id })
  const changes = await json(['audit', 'list', '--tenant', 'acme', '--action', 'TenantService.UpdateTenant'])
  t.same(changes[0].details, { tenant_id: 'acme', plan: 'enterprise' }, 'a change is recorded with what it asked for')
  t.same(changes[1].details, { tenant_id: 'acme', baa_signed: false, overrides: { storage_bytes: String(2 * 1024 ** 3) } })
  const issuedEv = await json(['audit', 'list', '--tenant', 'acme', '--action', 'TenantService.IssueToken'])
  t.same(issuedEv[0].details, { tenant_id: 'acme', user_id: 'onco', name: 'laptop', ttl_seconds: String(30 * 86400), issued_token_id: issued.token_id }, 'never the secret')
  const limited = await json(['audit', 'list', '--limit', '3'])
  t.same(limited.map((e: any) => e.seq), [1, 2, 3])
  t.same((await json(['audit', 'list', '--after', '2', '--limit', '1'])).map((e: any) => e.seq), [3])
  const v = await json(['audit', 'verify'])
  t.match(v, { ok: true, first_broken_seq: 0, problem: '' })
  t.equal(v.events, (await json(['audit', 'list', '--limit', '100000'])).length)
})

t.test('control characters in names and reasons are refused before anything is stored', async (t) => {
  const before = await json(['jobs'])
  const evil = await cli(d, ['submit', 'examples/bell.qasm', '--name', 'evil\u001b[31mRED\u001b[0m\nFAKE LINE'])
  t.equal(evil.code, 1)
  t.equal(evil.stderr, 'z3bra-agent: name holds a control character (U+001B at character 5); it must be plain text. (INVALID_ARGUMENT, Z3_INVALID_ARGUMENT)\n')
  t.same(await json(['jobs']), before, 'no job was created')
  const user = await cli(d, ['user', 'add', 'eve', '--tenant', 'acme', '--role', 'developer', '--name', 'Eve\u0007'])
  t.match(user.stderr, /The display name holds a control character \(U\+0007 at character 4\)/)
  const drain = await cli(d, ['drain', '--reason', 'maintenance\u009b2J'])
  t.match(drain.stderr, /reason holds a control character \(U\+009B at character 12\)/)
  t.match(await json(['status']), { state: 'serving' }, 'the host was not drained')
})

t.test('tenant show says when a trial has ended', async (t) => {
  // A daemon standing 30 days back: the trial it starts now ended 16 days ago.
  const past = await startDaemon({ env: { Z3BRA_TEST_NOW_MS: String(Date.now() - 30 * 86_400_000) } })
  t.teardown(() => past.stop())
  await cli(past, ['tenant', 'create', 'trialco', '--plan', 'free'])
  const shown = await cli(past, ['tenant', 'show', 'trialco'])
  t.match(shown.stdout, /\n +Status: trial, trial ended \S+: no new jobs until the plan changes\n/)
  const fresh = await cli(d, ['tenant', 'create', 'trialco2', '--plan', 'free'])
  t.equal(fresh.code, 0, fresh.stderr)
  t.match((await cli(d, ['tenant', 'show', 'trialco2'])).stdout, /\n +Status: trial, trial ends \S+\n/)
})
