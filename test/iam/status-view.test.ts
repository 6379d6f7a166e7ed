// SPDX-License-Identifier: Apache-2.0
// HostService.GetStatus as a tenant's caller sees it: the host's capacity
// and counts whole, but job ids and tenant names of its own tenant only.
import t from 'tap'
import { startDaemon, TRAJECTORY_CIRCUIT } from '../helpers/daemon'
import { BELL, bearer, rpc, services, waitState } from './helpers'

t.test('a tenant caller sees its own jobs and tenant in the host status, an admin sees all', async (t) => {
  const d = await startDaemon({ config: { cpus: [0, 1] } })
  const s = services(d)
  t.teardown(async () => {
    s.close()
    await d.stop()
  })
  const admin = bearer(d.token)
  const md: Record<string, ReturnType<typeof bearer>> = {}
  for (const tenant of ['north', 'south']) {
    await rpc(s.tenants, 'CreateTenant', { tenant_id: tenant, plan: 'enterprise' }, admin)
    await rpc(s.tenants, 'AddUser', { tenant_id: tenant, user_id: `${tenant}-dev`, role: 'developer' }, admin)
    md[tenant] = bearer((await rpc(s.tenants, 'IssueToken', { tenant_id: tenant, user_id: `${tenant}-dev` }, admin)).token)
  }
  // south runs on CPU 1; CPU 0 is cordoned, so each tenant's next job waits.
  await rpc(s.host, 'Cordon', { cpus: '0', reason: 'hold the queue' }, admin)
  const submit = (tenant: string, source: string, shots: number) =>
    rpc(s.jobs, 'SubmitJob', { source, shots, cpus: 1, classification: 'public' }, md[tenant]).then((r) => r.job.job_id as string)
  const southRunning = await submit('south', TRAJECTORY_CIRCUIT, 400)
  await waitState(s, md.south, southRunning, ['RUNNING'])
  const southQueued = await submit('south', BELL, 1)
  const northQueued = await submit('north', BELL, 1)

  const all = await rpc(s.host, 'GetStatus', {}, admin)
  t.same(all.running_job_ids, [southRunning], 'admin: the running job')
  t.same(all.cpus.map((c: any) => c.job_id), ['', southRunning], 'admin: who holds which CPU')
  t.same(all.tenants.map((x: any) => x.tenant_id).sort(), ['north', 'south'], 'admin: both tenants')
  t.ok([southQueued, northQueued].includes(all.head_job_id), `admin: the head job (${all.head_job_id})`)

  const north = await rpc(s.host, 'GetStatus', {}, md.north)
  t.equal(north.running_jobs, 1, 'north: the host runs one job')
  t.same(north.running_job_ids, [], "north: not south's job id")
  t.same(north.cpus.map((c: any) => [c.state, c.job_id]), [['cordoned', ''], ['busy', '']], 'north: CPU 1 busy, holder hidden')
  t.same(north.tenants.map((x: any) => x.tenant_id), ['north'], 'north: its own tenant only')
  t.equal(north.queue_depth, 2, 'north: both queued jobs counted')
  t.ok(north.head_job_id === '' || north.head_job_id === northQueued, `north: head is its own or hidden (${north.head_job_id})`)
  t.equal(north.head_job_id === '' ? north.head_wait_reason : 'hidden', north.head_job_id === '' ? '' : 'hidden', 'north: a hidden head has no reason either')

  const south = await rpc(s.host, 'GetStatus', {}, md.south)
  t.same(south.running_job_ids, [southRunning], 'south: its running job')
  t.same(south.cpus.map((c: any) => c.job_id), ['', southRunning], 'south: the CPU it holds')
  t.same(south.tenants.map((x: any) => x.tenant_id), ['south'], 'south: its own tenant only')
  await rpc(s.jobs, 'CancelJob', { job_id: southRunning, reason: 'done' }, md.south)
})
