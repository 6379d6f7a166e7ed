// SPDX-License-Identifier: Apache-2.0
// A caller never hands out more than it holds: a user added with a role, or
// a token for another user (which carries that user's role), must hold
// nothing beyond the caller's own role; crossing tenants and PHI access
// included.
import * as grpc from '@grpc/grpc-js'
import t from 'tap'
import { bearer, daemonFor, outcome, rpc, userWithToken } from './helpers'

t.test('org_admin grants what it holds and nothing more', async (t) => {
  const { s, admin } = await daemonFor(t)
  await rpc(s.tenants, 'CreateTenant', { tenant_id: 'clinic', plan: 'enterprise', hipaa_enabled: true, baa_signed: true }, admin)
  const add = (tenant: string, user: string, role: string, md = admin) => rpc(s.tenants, 'AddUser', { tenant_id: tenant, user_id: user, role }, md)
  const issue = (tenant: string, user: string, md = admin) => rpc(s.tenants, 'IssueToken', { tenant_id: tenant, user_id: user, ttl_seconds: 600 }, md)
  await add('clinic', 'oadm', 'org_admin')
  await add('clinic', 'onc', 'oncologist')
  const oadm = bearer((await issue('clinic', 'oadm')).token)

  // Allowed: itself, and roles within its own.
  t.equal((await issue('clinic', 'oadm', oadm)).info.role, 'org_admin', 'a token for itself')
  await add('clinic', 'dev', 'developer', oadm)
  t.equal((await issue('clinic', 'dev', oadm)).info.role, 'developer', 'a token for a developer')

  const denied = async (p: Promise<unknown>, details: string) => {
    const o = await outcome(p)
    t.same([o.code, o.z3, o.details], [grpc.status.PERMISSION_DENIED, 'Z3_PERMISSION_DENIED', details])
  }
  await denied(issue('clinic', 'onc', oadm), 'Role org_admin may not issue a token for user "onc": role oncologist has PHI access, which org_admin lacks.')
  await denied(add('clinic', 'onc2', 'pathologist', oadm), 'Role org_admin may not add a user with role pathologist: role pathologist has PHI access, which org_admin lacks.')
  await denied(add('clinic', 'aud', 'compliance_auditor', oadm), 'Role org_admin may not add a user with role compliance_auditor: role compliance_auditor may execute audit, which org_admin may not.')
  const users = (await rpc(s.tenants, 'ListUsers', { tenant_id: 'clinic' }, admin)).users.map((u: any) => u.user_id).sort()
  t.same(users, ['dev', 'oadm', 'onc'], 'no user was added by a refused call')
  const tokens = (await rpc(s.tenants, 'ListTokens', { tenant_id: 'clinic', user_id: 'onc' }, admin)).tokens
  t.same(tokens, [], 'no token was issued for the oncologist')

  // An org_admin of the system tenant cannot mint the host administrator.
  await add('system', 'sysadm', 'org_admin')
  const sys = bearer((await issue('system', 'sysadm')).token)
  await denied(issue('system', 'admin', sys), 'Role org_admin may not issue a token for user "admin": role system_admin crosses tenants.')
})

t.test('an unknown backend is unknown to every role, whatever its backend conditions', async (t) => {
  const { s, admin } = await daemonFor(t)
  await rpc(s.tenants, 'CreateTenant', { tenant_id: 'lab', plan: 'enterprise' }, admin)
  const dev = await userWithToken(s, admin, 'lab', 'dev', 'developer')
  for (const md of [admin, dev]) {
    const o = await outcome(rpc(s.jobs, 'SubmitJob', { source: 'OPENQASM 2.0;\nqreg q[1];\n', shots: 1, backend: 'ibm_brisbane' }, md))
    t.same([o.code, o.z3, o.details], [grpc.status.INVALID_ARGUMENT, 'Z3_BACKEND_UNKNOWN', 'Backend "ibm_brisbane" is not offered by this host; it offers "local".'])
  }
})
