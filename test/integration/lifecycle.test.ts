// SPDX-License-Identifier: Apache-2.0
// The daemon as a process: one per state dir, crash recovery that loses no
// acknowledged job, graceful SIGTERM, placement proven from /proc, and
// reproducible results.
import t from 'tap'
import fs from 'node:fs'
import { spawn } from 'node:child_process'
import { runnersOf, startDaemon, tempDir, TRAJECTORY_CIRCUIT, waitForState } from '../helpers/daemon'
import { bearer, rpc, services } from '../iam/helpers'

const BELL = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n'

const procCpus = (pid: number) => /^Cpus_allowed_list:\s*(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1].trim()

t.test('a second daemon on the same state dir refuses and names the holder', async (t) => {
  const a = await startDaemon()
  t.teardown(() => a.stop())
  const b = await startDaemon({ dir: a.dir, waitReady: false })
  t.equal(await b.exited, 1)
  t.match(b.stderr(), new RegExp(`in use by z3bra-agentd pid ${a.proc.pid}`))
  const st = await a.rpc(a.host, 'GetStatus', {})
  t.equal(st.pid, a.proc.pid, 'the first daemon still serves')
})

t.test('a stale socket file from a crashed daemon does not stop a new start', async (t) => {
  const dir = tempDir()
  // A real socket file nobody listens on, as a killed daemon leaves behind.
  const holder = spawn(process.execPath, ['-e', "require('net').createServer().listen(process.argv[1], () => console.log('up'))", `${dir}/agent.sock`])
  await new Promise((r) => holder.stdout.once('data', r))
  holder.kill('SIGKILL')
  await new Promise((r) => holder.once('exit', r))
  t.ok(fs.existsSync(`${dir}/agent.sock`))
  const d = await startDaemon({ dir })
  t.teardown(() => d.stop())
  const st = await d.rpc(d.host, 'GetStatus', {})
  t.equal(st.state, 'serving')
})

t.test('kill -9 with running and queued jobs: every acknowledged job completes after restart', async (t) => {
  const dir = tempDir()
  const d = await startDaemon({ dir, config: { cpus: [0, 1] } })
  const ids: string[] = []
  for (let i = 0; i < 2; i++) ids.push((await d.rpc(d.jobs, 'SubmitJob', { source: TRAJECTORY_CIRCUIT, shots: 8, seed: String(7 + i), cpus: 1 })).job.job_id)
  for (let i = 0; i < 4; i++) ids.push((await d.rpc(d.jobs, 'SubmitJob', { source: BELL, shots: 100 })).job.job_id)
  await waitForState(d, ids[0], ['RUNNING'])
  await waitForState(d, ids[1], ['RUNNING'])

  // Proof of placement: what /proc says about each live runner is what the
  // job recorded.
  const deadline = Date.now() + 10_000
  let runners = runnersOf(d.proc.pid!)
  while (runners.length < 2 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20))
    runners = runnersOf(d.proc.pid!)
  }
  t.equal(runners.length, 2, 'one runner process per running job')
  const recorded = await Promise.all(ids.slice(0, 2).map((id) => d.rpc(d.jobs, 'GetJob', { job_id: id })))
  const fromProc = runners.map(procCpus).sort()
  t.same(fromProc, recorded.map((j) => j.cpus.join(',')).sort(), 'Cpus_allowed_list matches the recorded CPUs')
  t.same(fromProc, ['0', '1'], 'each runner has one CPU of its own')

  d.proc.kill('SIGKILL')
  await d.exited
  const d2 = await startDaemon({ dir, config: { cpus: [0, 1] } })
  t.teardown(() => d2.stop())
  for (const r of runners) {
    let alive = true
    const until = Date.now() + 5000
    while (alive && Date.now() < until) {
      try {
        alive = !fs.readFileSync(`/proc/${r}/status`, 'utf8').includes('State:\tZ')
      } catch {
        alive = false
      }
      if (alive) await new Promise((res) => setTimeout(res, 20))
    }
    t.notOk(alive, `the orphaned runner ${r} is gone`)
  }
  for (const id of ids) {
    const j = await waitForState(d2, id, ['SUCCEEDED', 'FAILED', 'CANCELLED'])
    t.equal(j.state, 'SUCCEEDED', `job ${id} completed`)
  }
  const again = await d2.rpc(d2.jobs, 'GetJob', { job_id: ids[0] })
  t.ok(again.attempts >= 2, 'the interrupted job ran a second time')
  // The audit log files each requeue, with the attempt it ended.
  const s = services(d2)
  t.teardown(() => s.close())
  const all = (await rpc(s.audit, 'ListEvents', { page_size: 1000 }, bearer(d2.token))).events
  const events = all.filter((e: any) => e.resource_id === ids[0])
  const actions = events.map((e: any) => e.action)
  const requeue = actions.indexOf('job.queued')
  t.ok(requeue > actions.indexOf('job.running') && actions.lastIndexOf('job.running') > requeue, `running, requeued, running again: ${actions.join(' ')}`)
  t.same(JSON.parse(events[requeue].details_json), { requeued: true, attempts: 1 })
  t.equal(actions[actions.length - 1], 'job.succeeded')
})

t.test('SIGTERM lets a running job finish within the grace period, then exits 0', async (t) => {
  const d = await startDaemon({ config: { cpus: [0], shutdownGraceMs: 60_000 } })
  const id = (await d.rpc(d.jobs, 'SubmitJob', { source: TRAJECTORY_CIRCUIT, shots: 4 })).job.job_id
  await waitForState(d, id, ['RUNNING'])
  d.proc.kill('SIGTERM')
  t.equal(await d.exited, 0)
  const d2 = await startDaemon({ dir: d.dir })
  t.teardown(() => d2.stop())
  const j = await d2.rpc(d2.jobs, 'GetJob', { job_id: id })
  t.equal(j.state, 'SUCCEEDED', 'it finished before the daemon exited')
  t.equal(j.attempts, 1)
})

t.test('SIGTERM past the grace period requeues the job, which completes on restart', async (t) => {
  const d = await startDaemon({ config: { cpus: [0], shutdownGraceMs: 100 } })
  const id = (await d.rpc(d.jobs, 'SubmitJob', { source: TRAJECTORY_CIRCUIT, shots: 8 })).job.job_id
  await waitForState(d, id, ['RUNNING'])
  d.proc.kill('SIGTERM')
  t.equal(await d.exited, 0)
  const d2 = await startDaemon({ dir: d.dir })
  t.teardown(() => d2.stop())
  const j = await waitForState(d2, id, ['SUCCEEDED', 'FAILED'])
  t.equal(j.state, 'SUCCEEDED')
  t.equal(j.attempts, 2)
})

t.test('re-running a job from its record gives the same counts', async (t) => {
  const d = await startDaemon()
  t.teardown(() => d.stop())
  const src = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[5];\ncreg a[2];\ncreg b[3];\nh q;\ncx q[0],q[3];\nrz(0.3) q[2];\nry(1.1) q[4];\nmeasure q[0] -> a[0];\nmeasure q[1] -> a[1];\nmeasure q[2] -> b[0];\nmeasure q[3] -> b[1];\nmeasure q[4] -> b[2];\n'
  const first = (await d.rpc(d.jobs, 'SubmitJob', { source: src, shots: 2000 })).job
  await waitForState(d, first.job_id, ['SUCCEEDED'])
  const r1 = await d.rpc(d.jobs, 'GetJobResult', { job_id: first.job_id })
  t.match(Object.keys(r1.counts)[0], /^[01]{3} [01]{2}$/, 'keys: last-declared register first')
  const rerun = (await d.rpc(d.jobs, 'SubmitJob', { source: src, shots: 2000, seed: r1.reproducibility.seed })).job
  await waitForState(d, rerun.job_id, ['SUCCEEDED'])
  const r2 = await d.rpc(d.jobs, 'GetJobResult', { job_id: rerun.job_id })
  t.same(r2.counts, r1.counts)
  t.equal(r2.reproducibility.source_sha256, r1.reproducibility.source_sha256)
})
