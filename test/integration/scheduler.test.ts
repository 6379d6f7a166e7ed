// SPDX-License-Identifier: Apache-2.0
// The scheduler through the real daemon: exclusive CPUs under a flood,
// drain and cordon with work in flight, wait reasons, refusal of jobs that
// could never fit, timeouts, and a topology that changes between starts.
import * as grpc from '@grpc/grpc-js'
import t from 'tap'
import fs from 'node:fs'
import { writeFixture } from '../../daemon/scheduler/topology'
import { cli, runnersOf, startDaemon, tempDir, TRAJECTORY_CIRCUIT, waitForState } from '../helpers/daemon'

const small = (q: number) =>
  `OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[${q}];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q[0] -> c[0];\nmeasure q[1] -> c[1];\n`

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => ({ code: 0, details: '' }),
    (e: grpc.ServiceError) => ({ code: e.code, details: e.details }),
  )

/** Every CPU any thread of `pid` may run on. */
function threadCpus(pid: number): Set<number> {
  const out = new Set<number>()
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    const m = /^Cpus_allowed_list:\s*(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))
    for (const part of m![1].trim().split(',')) {
      const [a, b] = part.split('-').map(Number)
      for (let c = a; c <= (b ?? a); c++) out.add(c)
    }
  }
  return out
}

t.test('200 concurrent submissions: no CPU is ever in two running jobs', async (t) => {
  const d = await startDaemon({ config: { cpus: [0, 1] } })
  t.teardown(() => d.stop())
  // Watch /proc while the flood runs: live runners' CPU sets never meet.
  let sampling = true
  let samples = 0
  const clashes: string[] = []
  const sampler = (async () => {
    while (sampling) {
      const sets: [number, Set<number>][] = []
      for (const pid of runnersOf(d.proc.pid!)) {
        try {
          sets.push([pid, threadCpus(pid)])
        } catch {
          // Ended while we read it.
        }
      }
      for (let i = 0; i < sets.length; i++)
        for (let j = i + 1; j < sets.length; j++)
          for (const c of sets[i][1]) if (sets[j][1].has(c)) clashes.push(`runners ${sets[i][0]} and ${sets[j][0]} share CPU ${c}`)
      if (sets.length) samples++
      await new Promise((r) => setTimeout(r, 5))
    }
  })()
  const subs = await Promise.all(
    Array.from({ length: 200 }, (_, i) =>
      d.rpc(d.jobs, 'SubmitJob', { source: small(i % 5 === 0 ? 18 : 3), shots: 50, name: `flood-${i}`, cpus: i % 7 === 0 ? 2 : 0 }),
    ),
  )
  const ids = subs.map((s) => s.job.job_id)
  t.equal(new Set(ids).size, 200, '200 distinct jobs acknowledged')
  const jobs = []
  for (const id of ids) jobs.push(await waitForState(d, id, ['SUCCEEDED', 'FAILED', 'CANCELLED']))
  sampling = false
  await sampler
  t.equal(jobs.filter((j) => j.state === 'SUCCEEDED').length, 200, 'all succeeded')
  t.same(clashes, [], `no two live runners shared a CPU over ${samples} samples of /proc`)
  const ms = (ts: any) => Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6)
  let overlaps = 0
  for (let i = 0; i < jobs.length; i++) {
    for (let j = i + 1; j < jobs.length; j++) {
      const a = jobs[i]
      const b = jobs[j]
      const shared = a.cpus.some((c: number) => b.cpus.includes(c))
      if (shared && ms(a.started_at) < ms(b.finished_at) && ms(b.started_at) < ms(a.finished_at)) overlaps++
    }
  }
  t.equal(overlaps, 0, 'recorded placements never overlap in time on a CPU')
  t.ok(jobs.filter((j, i) => i % 7 === 0).every((j) => j.cpus.length === 2), 'jobs asking for 2 CPUs got 2')
  t.ok(jobs.filter((j, i) => i % 7 !== 0 && i % 5 !== 0).every((j) => j.cpus.length === 1), 'small jobs got 1 CPU')
  t.ok(jobs.every((j) => j.numa_node === 0), 'every placement names its NUMA node')
})

t.test('drain with work in flight, then undrain', async (t) => {
  const d = await startDaemon({ config: { cpus: [0] } })
  t.teardown(() => d.stop())
  const running = (await d.rpc(d.jobs, 'SubmitJob', { source: TRAJECTORY_CIRCUIT, shots: 4 })).job.job_id
  const queued = (await d.rpc(d.jobs, 'SubmitJob', { source: small(2), shots: 10 })).job.job_id
  await waitForState(d, running, ['RUNNING'])
  const noReason = await codeOf(d.rpc(d.host, 'Drain', {}))
  t.equal(noReason.code, grpc.status.INVALID_ARGUMENT)
  const drained = await cli(d, ['drain', '--reason', 'kernel update', '--wait', '--json'])
  t.equal(drained.code, 0, drained.stderr)
  const st = JSON.parse(drained.stdout)
  t.equal(st.state, 'draining')
  t.equal(st.drain.reason, 'kernel update')
  t.equal(st.drain.actor, 'admin@system')
  t.equal(st.running_jobs, 0, '--wait returned once running work ended')
  t.equal((await d.rpc(d.jobs, 'GetJob', { job_id: running })).state, 'SUCCEEDED', 'the running job finished')
  t.equal((await d.rpc(d.jobs, 'GetJob', { job_id: queued })).state, 'QUEUED', 'nothing new started')
  const refused = await codeOf(d.rpc(d.jobs, 'SubmitJob', { source: small(2), shots: 1 }))
  t.equal(refused.code, grpc.status.FAILED_PRECONDITION)
  t.match(refused.details, /draining \(kernel update\)/)
  const text = await cli(d, ['status'])
  t.match(text.stdout, /State: draining \(drained by admin@system at .*: kernel update\)/)
  t.match(text.stdout, /host draining: kernel update/)
  await cli(d, ['undrain', '--reason', 'done'])
  t.equal((await waitForState(d, queued, ['SUCCEEDED'])).state, 'SUCCEEDED')
})

t.test('cordoned CPUs get no job; a job that needs them waits with a reason; cordons survive restarts', async (t) => {
  const d = await startDaemon({ config: { cpus: [0, 1] } })
  const c = await cli(d, ['cordon', '1', '--reason', 'ECC errors', '--json'])
  t.equal(c.code, 0, c.stderr)
  const cpu1 = JSON.parse(c.stdout).cpus.find((x: any) => x.cpu === 1)
  t.same([cpu1.state, cpu1.reason], ['cordoned', 'ECC errors'])
  const one = (await d.rpc(d.jobs, 'SubmitJob', { source: small(2), shots: 10, cpus: 1 })).job.job_id
  t.same((await waitForState(d, one, ['SUCCEEDED'])).cpus, [0])
  const two = (await d.rpc(d.jobs, 'SubmitJob', { source: small(2), shots: 10, cpus: 2 })).job.job_id
  await new Promise((r) => setTimeout(r, 300))
  const waiting = await d.rpc(d.jobs, 'GetJob', { job_id: two })
  t.equal(waiting.state, 'QUEUED')
  t.equal(waiting.wait_reason, 'waiting: 2 CPUs on one NUMA node (CPUs 1 cordoned)', 'the cordon is named beside the need')
  const list = await cli(d, ['jobs'])
  t.match(list.stdout, /QUEUED \(waiting: 2 CPUs on one NUMA node \(CPUs 1 cordoned\)\)/)
  await cli(d, ['drain', '--reason', 'kernel patch'])
  t.equal((await d.rpc(d.jobs, 'GetJob', { job_id: two })).wait_reason, 'host draining: kernel patch', 'a drain comes first')
  await cli(d, ['undrain'])
  const never = await codeOf(d.rpc(d.jobs, 'SubmitJob', { source: small(2), shots: 1, cpus: 3 }))
  t.equal(never.code, grpc.status.RESOURCE_EXHAUSTED)
  t.match(never.details, /could never run on this host: 3 CPUs never fit: this host has 2 schedulable/)
  await d.stop()
  const d2 = await startDaemon({ dir: d.dir, config: { cpus: [0, 1] } })
  t.teardown(() => d2.stop())
  const st = await d2.rpc(d2.host, 'GetStatus', {})
  t.equal(st.cpus.find((x: any) => x.cpu === 1).state, 'cordoned', 'the cordon was persisted')
  t.equal((await d2.rpc(d2.jobs, 'GetJob', { job_id: two })).state, 'QUEUED')
  await cli(d2, ['uncordon', '1'])
  const ran = await waitForState(d2, two, ['SUCCEEDED'])
  t.same(ran.cpus, [0, 1])
  const shown = JSON.parse((await cli(d2, ['job', two, '--json'])).stdout)
  t.same(shown.cpus, [0, 1])
  t.equal(shown.numa_node, 0)
})

t.test('a job past its timeout is stopped and fails with the limit named', async (t) => {
  const d = await startDaemon({ config: { cpus: [0], jobTimeoutMs: 1000 } })
  t.teardown(() => d.stop())
  const id = (await d.rpc(d.jobs, 'SubmitJob', { source: TRAJECTORY_CIRCUIT, shots: 500 })).job.job_id
  const j = await waitForState(d, id, ['SUCCEEDED', 'FAILED'], 30_000)
  t.equal(j.state, 'FAILED')
  t.match(j.error, /past its timeout of 1000 ms \(jobTimeoutMs\)/)
  const st = await d.rpc(d.host, 'GetStatus', {})
  t.equal(st.running_jobs, 0, 'its CPU is free again')
})

t.test('a CPU that disappears between two starts does not stop the daemon', async (t) => {
  const root = tempDir('z3sysfs-')
  const cpus = [0, 1].map((id) => ({ id, pkg: 0, core: id, node: 0, siblings: [id] }))
  writeFixture(root, cpus)
  const d = await startDaemon({ config: { sysfsRoot: root } })
  await cli(d, ['cordon', '1', '--reason', 'flaky'])
  await d.stop()
  const root2 = tempDir('z3sysfs-')
  writeFixture(root2, [cpus[0], { ...cpus[1], online: false }])
  const d2 = await startDaemon({ dir: d.dir, config: { sysfsRoot: root2 } })
  t.teardown(() => d2.stop())
  const st = await d2.rpc(d2.host, 'GetStatus', {})
  t.equal(st.cpus_online, 1)
  t.same(st.cpus.map((c: any) => [c.cpu, c.state]), [[0, 'free']])
  t.match(d2.stdout(), /a cordoned CPU is no longer online/)
  const id = (await d2.rpc(d2.jobs, 'SubmitJob', { source: small(2), shots: 5 })).job.job_id
  t.same((await waitForState(d2, id, ['SUCCEEDED'])).cpus, [0])
})

t.test('each runner sits in a cpuset of its own, read back and recorded, removed when the job ends', async (t) => {
  const d = await startDaemon({ config: { cpus: [0, 1] } })
  t.teardown(() => d.stop())
  const st = await d.rpc(d.host, 'GetStatus', {})
  if (st.cpu_enforcement === 'affinity') {
    // A host without a cpuset hierarchy the daemon may write: it must say
    // so, and then the affinity tests above are the whole proof.
    t.match(d.stdout(), /no cpuset hierarchy to use/)
    t.skip(`this host has no usable cpuset hierarchy (${st.cpu_enforcement})`)
    return
  }
  t.match(st.cpu_enforcement, /^cpuset-cgroup[12] \//)
  const base = st.cpu_enforcement.split(' ')[1]
  const id = (await d.rpc(d.jobs, 'SubmitJob', { source: TRAJECTORY_CIRCUIT, shots: 6, cpus: 1 })).job.job_id
  const running = await waitForState(d, id, ['RUNNING'])
  let pids = runnersOf(d.proc.pid!)
  for (const until = Date.now() + 5000; pids.length === 0 && Date.now() < until; ) {
    await new Promise((r) => setTimeout(r, 20))
    pids = runnersOf(d.proc.pid!)
  }
  t.equal(pids.length, 1)
  let job = running
  for (const until = Date.now() + 5000; !job.placement && Date.now() < until; ) {
    await new Promise((r) => setTimeout(r, 20))
    job = await d.rpc(d.jobs, 'GetJob', { job_id: id })
  }
  const dir = `${base}/job-${id}`
  t.same(job.placement.cpuset, dir, 'the job records its cpuset')
  // The kernel's view, read here independently of the daemon.
  const kind = st.cpu_enforcement.startsWith('cpuset-cgroup2') ? 2 : 1
  const cgLine = fs.readFileSync(`/proc/${pids[0]}/cgroup`, 'utf8').split('\n').find((l) => (kind === 2 ? l.startsWith('0::') : /:cpuset(,|:)/.test(l)))!
  t.ok(dir.endsWith(cgLine.split(':')[2]), `the runner is in ${dir} (/proc says ${cgLine})`)
  const eff = fs.readFileSync(`${dir}/${kind === 2 ? 'cpuset.cpus.effective' : 'cpuset.effective_cpus'}`, 'utf8').trim()
  t.equal(eff, job.cpus.join(','))
  t.equal(job.placement.cpuset_cpus_effective, eff)
  t.equal(job.placement.cpus_allowed_list, job.cpus.join(','))
  t.equal(job.placement.mems_allowed_list, String(job.numa_node))
  t.equal(fs.readFileSync(`${dir}/cgroup.procs`, 'utf8').trim(), String(pids[0]), 'the runner and only it')
  const shown = JSON.parse((await cli(d, ['job', id, '--json'])).stdout)
  t.equal(shown.placement.enforced_by, `cpuset-cgroup${kind}`)
  await waitForState(d, id, ['SUCCEEDED'])
  for (const until = Date.now() + 5000; fs.existsSync(dir) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 20))
  t.notOk(fs.existsSync(dir), 'the cpuset is gone with the job')
})

t.test("a tenant's job timeout and CPU bound hold its jobs tighter than the host's, and say which limit", async (t) => {
  const d = await startDaemon({ config: { cpus: [0, 1] } })
  t.teardown(() => d.stop())
  const made = await cli(d, ['tenant', 'create', 'brief', '--plan', 'enterprise', '--job-timeout', '1', '--cpus-per-job', '1', '--json'])
  t.equal(made.code, 0, made.stderr)
  t.equal(JSON.parse(made.stdout).limits.job_timeout_seconds, 1)
  t.equal(JSON.parse(made.stdout).limits.cpus_per_job, 1)
  await cli(d, ['user', 'add', 'dev', '--role', 'developer', '--tenant', 'brief'])
  const tokenFile = `${d.dir}/brief.token`
  const issued = await cli(d, ['token', 'issue', 'dev', '--tenant', 'brief', '--out', tokenFile])
  t.equal(issued.code, 0, issued.stderr)
  const sub = await cli({ socket: d.socket, tokenFile }, ['submit', '-', '--shots', '500', '--json'], TRAJECTORY_CIRCUIT)
  t.equal(sub.code, 0, sub.stderr)
  const id = JSON.parse(sub.stdout).job_id
  const j = await waitForState(d, id, ['SUCCEEDED', 'FAILED'], 60_000)
  t.same(j.cpus.length, 1, 'a 20-qubit job would get 2 CPUs here; the tenant bound gives it 1')
  t.equal(j.state, 'FAILED')
  t.match(j.error, /past its timeout of 1000 ms \(the tenant's jobTimeoutSeconds limit\)/)
  const two = await cli({ socket: d.socket, tokenFile }, ['submit', '-', '--cpus', '2'], TRAJECTORY_CIRCUIT)
  t.equal(two.code, 1)
  t.match(two.stderr, /asks for 2 CPUs; tenant brief may use at most 1 per job \(cpusPerJob\)/)
  // The system tenant has no such limit: the host's applies.
  const own = (await d.rpc(d.jobs, 'SubmitJob', { source: TRAJECTORY_CIRCUIT, shots: 3 })).job.job_id
  t.equal((await waitForState(d, own, ['SUCCEEDED'])).state, 'SUCCEEDED')
})
