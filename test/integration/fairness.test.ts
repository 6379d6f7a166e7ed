// SPDX-License-Identifier: Apache-2.0
// Fair share through the real daemon: two tenants with weights 1 and 3 flood
// a two-CPU host with equal jobs; while both have work waiting, the CPU time
// each gets, read from the jobs' recorded start and end times, is 1:3.
import t from 'tap'
import { startDaemon, tempDir, trajectoryCircuit } from '../helpers/daemon'
import { bearer, rpc, services, waitState } from '../iam/helpers'

const JOBS_PER_TENANT = 60
// About a tenth of a second a job: many scheduling decisions in a short window.
const JOB = trajectoryCircuit(17)

const ms = (ts: { seconds: string | number; nanos: number } | null | undefined) =>
  ts ? Number(ts.seconds) * 1000 + ts.nanos / 1e6 : NaN

t.test('weights 1 and 3 share CPU time 1:3 within 10% while both tenants wait', async (t) => {
  const d = await startDaemon({
    config: { cpus: [0, 1], tenantWeights: { light: 1, heavy: 3 }, fairShareHalfLifeMs: 3_600_000 },
  })
  const s = services(d)
  t.teardown(async () => {
    s.close()
    await d.stop()
  })
  const admin = bearer(d.token)
  const tokens: Record<string, string> = {}
  for (const tenant of ['light', 'heavy']) {
    await rpc(s.tenants, 'CreateTenant', { tenant_id: tenant, plan: 'enterprise' }, admin)
    await rpc(s.tenants, 'AddUser', { tenant_id: tenant, user_id: `${tenant}-dev`, role: 'developer' }, admin)
    tokens[tenant] = (await rpc(s.tenants, 'IssueToken', { tenant_id: tenant, user_id: `${tenant}-dev` }, admin)).token
  }
  // Hold the host while both floods arrive, so neither gets a head start.
  await rpc(s.host, 'Cordon', { cpus: '0-1', reason: 'loading the floods' }, admin)
  const ids: Record<string, string[]> = { light: [], heavy: [] }
  for (let i = 0; i < JOBS_PER_TENANT; i++) {
    for (const tenant of ['light', 'heavy']) {
      const req = { source: JOB, shots: 1, cpus: 1, classification: 'public', name: `${tenant}-${i}` }
      ids[tenant].push((await rpc(s.jobs, 'SubmitJob', req, bearer(tokens[tenant]))).job.job_id)
    }
  }
  await rpc(s.host, 'Uncordon', { cpus: '0-1', reason: 'go' }, admin)

  // The window ends when the heavy tenant's last job starts: until then both
  // tenants had jobs waiting.
  const get = (tenant: string, id: string) => rpc(s.jobs, 'GetJob', { job_id: id }, bearer(tokens[tenant]))
  const lastHeavy = ids.heavy[ids.heavy.length - 1]
  for (;;) {
    const j = await get('heavy', lastHeavy)
    if (j.state !== 'QUEUED') break
    await new Promise((r) => setTimeout(r, 100))
  }
  // Both tenants still hold or wait for CPUs: status shows their weights.
  const st = await rpc(s.host, 'GetStatus', {}, admin)
  const weights = Object.fromEntries(st.tenants.map((x: any) => [x.tenant_id, x.weight]))
  t.same([weights.light, weights.heavy], [1, 3], 'status shows each tenant weight')
  // Nothing the light tenant still has queued matters any more.
  const all: Record<string, any[]> = { light: [], heavy: [] }
  for (const tenant of ['light', 'heavy']) {
    for (const id of ids[tenant]) {
      const j = await get(tenant, id)
      if (j.state === 'QUEUED') await rpc(s.jobs, 'CancelJob', { job_id: id, reason: 'past the window' }, bearer(tokens[tenant]))
      all[tenant].push(j)
    }
  }
  const startedAt = (j: any) => ms(j.started_at)
  const heavyJobs = all.heavy.filter((j) => !Number.isNaN(startedAt(j)))
  const windowStart = Math.min(...[...all.light, ...all.heavy].map(startedAt).filter((x) => !Number.isNaN(x)))
  const windowEnd = Math.max(...heavyJobs.map(startedAt))
  t.ok(windowEnd - windowStart > 3_000, `a window long enough to measure (${((windowEnd - windowStart) / 1000).toFixed(1)} s)`)

  // CPU-milliseconds each tenant held inside the window; jobs still running
  // count up to now, which is past the window's end.
  const finals: Record<string, any[]> = { light: [], heavy: [] }
  for (const tenant of ['light', 'heavy']) {
    for (const j of all[tenant]) {
      if (Number.isNaN(startedAt(j))) continue
      finals[tenant].push(await get(tenant, j.job_id))
    }
  }
  const held = (jobs: any[]) =>
    jobs.reduce((sum, j) => {
      const end = Number.isNaN(ms(j.finished_at)) ? Date.now() : ms(j.finished_at)
      const a = Math.max(startedAt(j), windowStart)
      const b = Math.min(end, windowEnd)
      return sum + Math.max(0, b - a) * j.cpus.length
    }, 0)
  const light = held(finals.light)
  const heavy = held(finals.heavy)
  const ratio = heavy / light
  t.ok(ratio >= 2.7 && ratio <= 3.3, `heavy:light CPU time ${ratio.toFixed(2)} (heavy ${(heavy / 1000).toFixed(1)} s, light ${(light / 1000).toFixed(1)} s), want 3 within 10%`)
})

t.test('a restart keeps each tenant its fair-share usage, rebuilt from the jobs that ended', async (t) => {
  const dir = tempDir()
  const config = { cpus: [0, 1], fairShareHalfLifeMs: 3_600_000 }
  const d = await startDaemon({ dir, config })
  const s = services(d)
  const admin = bearer(d.token)
  await rpc(s.tenants, 'CreateTenant', { tenant_id: 'busy', plan: 'enterprise' }, admin)
  await rpc(s.tenants, 'AddUser', { tenant_id: 'busy', user_id: 'busy-dev', role: 'developer' }, admin)
  const md = bearer((await rpc(s.tenants, 'IssueToken', { tenant_id: 'busy', user_id: 'busy-dev' }, admin)).token)
  // Some CPU time, then one job held in the queue so that status lists the tenant.
  for (let i = 0; i < 3; i++) {
    const id = (await rpc(s.jobs, 'SubmitJob', { source: JOB, shots: 2, cpus: 1, classification: 'public' }, md)).job.job_id
    await waitState(s, md, id, ['SUCCEEDED'])
  }
  await rpc(s.host, 'Cordon', { cpus: '0-1', reason: 'hold the queue' }, admin)
  await rpc(s.jobs, 'SubmitJob', { source: JOB, shots: 1, cpus: 1, classification: 'public' }, md)
  const factorOf = async (dd: typeof d, ss: typeof s) =>
    (await rpc(ss.host, 'GetStatus', {}, bearer(dd.token))).tenants.find((x: any) => x.tenant_id === 'busy').fair_share_factor as number
  const before = await factorOf(d, s)
  t.ok(before > 0, `usage before the restart (${before.toFixed(4)})`)
  s.close()
  await d.stop()

  const d2 = await startDaemon({ dir, config })
  const s2 = services(d2)
  t.teardown(async () => {
    s2.close()
    await d2.stop()
  })
  const after = await factorOf(d2, s2)
  // The jobs' recorded start and end (ms) against the scheduler's own clock:
  // the same CPU time within a few milliseconds per job, decayed over seconds
  // of a one-hour half-life.
  t.ok(Math.abs(after - before) <= 0.01 + 0.01 * before, `the same usage after it (${after.toFixed(4)} against ${before.toFixed(4)})`)
})
