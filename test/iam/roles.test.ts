// SPDX-License-Identifier: Apache-2.0
// The role table is data: a replacement in the config takes effect, and an
// invalid one stops the daemon at start with every problem named.
import * as grpc from '@grpc/grpc-js'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { ROOT, startDaemon, tempDir } from '../helpers/daemon'
import { BELL, daemonFor, outcome, rpc, userWithToken } from './helpers'

const DEFAULT = JSON.parse(fs.readFileSync(path.join(ROOT, 'daemon', 'iam', 'roles.default.json'), 'utf8'))

t.test('an invalid role table stops the daemon at start and names every problem', async (t) => {
  const dir = tempDir()
  const file = path.join(dir, 'roles.json')
  const table = structuredClone(DEFAULT)
  table.roles.org_admin.cross_tenant = true
  table.roles.developer.permissions.push({ resource: 'job', action: 'launch' })
  table.roles.patient.permissions.push({ resource: 'job_result', action: 'read', conditions: { classifications: ['phi'] } })
  delete table.roles.system_admin
  fs.writeFileSync(file, JSON.stringify(table))
  const d = await startDaemon({ dir, config: { rolesFile: file }, waitReady: false })
  t.equal(await d.exited, 2, 'exit status 2')
  t.same(fs.readdirSync(dir).filter((f) => f !== 'config.json' && f !== path.basename(file)), [], 'nothing was written to the state dir')
  const lines = d.stderr().trimEnd().split('\n')
  t.equal(lines[0], `z3bra-agentd: invalid role table ${file}:`)
  t.match(lines.slice(1).sort(), [
    /^ {2}- roles\.developer\.permissions\.\d+\.action: /,
    '  - roles.org_admin.cross_tenant: only system_admin may cross tenants',
    /^ {2}- roles\.patient\.permissions\.\d+\.conditions\.classifications: names phi but the role has no phi_access$/,
    '  - roles: the table must define system_admin',
  ])
  t.equal(lines.length, 5, 'four problems, all at once')
  t.notOk(fs.existsSync(path.join(dir, 'agent.sock')), 'nothing listens')
  await d.stop()
})

t.test('a role table that is not JSON, or missing, stops the daemon too', async (t) => {
  for (const [name, content] of [['broken.json', '{"version": 1, "roles": {'], ['absent.json', null]] as const) {
    const dir = tempDir()
    const file = path.join(dir, name)
    if (content !== null) fs.writeFileSync(file, content)
    const d = await startDaemon({ dir, config: { rolesFile: file }, waitReady: false })
    t.equal(await d.exited, 2, name)
    t.match(d.stderr(), new RegExp(`^z3bra-agentd: invalid role table ${file.replace(/[.]/g, '\\.')}:\\n {2}- `), name)
    await d.stop()
  }
})

t.test('a replacement table takes effect: deny by default for what it leaves out', async (t) => {
  const dir = tempDir()
  const file = path.join(dir, 'roles.json')
  const table = structuredClone(DEFAULT)
  // Developers lose the right to run jobs on this host.
  table.roles.developer.permissions = table.roles.developer.permissions.filter((p: any) => p.action !== 'execute')
  fs.writeFileSync(file, JSON.stringify(table))
  const { s, admin } = await daemonFor(t, { dir, config: { rolesFile: file } })
  await rpc(s.tenants, 'CreateTenant', { tenant_id: 'acme', plan: 'professional' }, admin)
  const dev = await userWithToken(s, admin, 'acme', 'dev', 'developer')
  const o = await outcome(rpc(s.jobs, 'SubmitJob', { source: BELL, shots: 1 }, dev))
  t.equal(o.code, grpc.status.PERMISSION_DENIED)
  t.equal(o.details, 'Role developer may not execute job (JobService.SubmitJob).')
  t.equal((await outcome(rpc(s.host, 'GetStatus', {}, dev))).code, grpc.status.OK, 'what the table still grants works')
})
