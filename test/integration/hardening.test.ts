// SPDX-License-Identifier: Apache-2.0
// What a careless or hostile caller tries first: paths the daemon must not
// clobber, configurations that cannot work, flags with bad values, a
// request id reused for another request, a circuit whose exact
// distribution would need more memory than any host has, and a daemon
// killed with its runners in flight.
import * as grpc from '@grpc/grpc-js'
import t from 'tap'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { cli, runnersOf, startDaemon, tempDir, TRAJECTORY_CIRCUIT, waitForState } from '../helpers/daemon'

const BELL = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n'

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => ({ code: 0, details: '', z3: '' }),
    (e: grpc.ServiceError) => ({ code: e.code, details: e.details, z3: String(e.metadata?.get('z3bra-error-code')[0] ?? '') }),
  )

t.test('--socket never removes what is not a dead socket', async (t) => {
  const dir = tempDir()
  const victim = path.join(dir, 'notes.txt')
  fs.writeFileSync(victim, 'keep me\n')
  const a = await startDaemon({ args: ['--socket', victim], waitReady: false })
  t.equal(await a.exited, 2)
  t.match(a.stderr(), `${victim} exists and is not a socket; refusing to replace it`)
  t.equal(fs.readFileSync(victim, 'utf8'), 'keep me\n', 'the file is untouched')

  const live = await startDaemon()
  t.teardown(() => live.stop())
  const b = await startDaemon({ args: ['--socket', live.socket], waitReady: false })
  t.equal(await b.exited, 2)
  t.match(b.stderr(), `another process is serving on ${live.socket}`)
  const st = await live.rpc(live.host, 'GetStatus', {})
  t.equal(st.pid, live.proc.pid, 'the first daemon still answers on its socket')
})

t.test('the store is readable by its owner only, even in a folder open to others', async (t) => {
  const dir = tempDir()
  fs.chmodSync(dir, 0o755)
  const d = await startDaemon({ dir })
  t.teardown(() => d.stop())
  await d.rpc(d.jobs, 'SubmitJob', { source: BELL, shots: 10 })
  for (const f of ['agent.db', 'agent.db-wal', 'agent.db-shm', 'admin.token']) {
    t.equal((fs.statSync(path.join(dir, f)).mode & 0o777).toString(8), '600', `${f} is 0600`)
  }
})

t.test('configurations and flags that cannot work stop the start with a clear message', async (t) => {
  const dir = tempDir()
  const cert = path.join(dir, 'cert.pem')
  const key = path.join(dir, 'key.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' })
  const cases: [string, { args?: string[]; config?: Record<string, unknown> }, RegExp][] = [
    ['a CPU that is not online', { config: { cpus: [0, 99] } }, /cpus\/reservedCpus: CPUs 99 are not online on this host/],
    ['every CPU reserved', { config: { cpus: [0], reservedCpus: [0] } }, /cpus\/reservedCpus: no CPU is left to run jobs on \(online: [0-9,-]+; reservedCpus: 0; outside cpus: /],
    ['a port above 65535', { args: ['--listen', '127.0.0.1:99999', '--tls-cert', cert, '--tls-key', key] }, /listen: port 99999 is above 65535/],
    ['a missing certificate', { args: ['--listen', '127.0.0.1:0', '--tls-cert', path.join(dir, 'none.pem'), '--tls-key', key] }, /tlsCert: .*none\.pem is not a readable PEM certificate/],
    ['certificate and key swapped', { args: ['--listen', '127.0.0.1:0', '--tls-cert', key, '--tls-key', cert] }, /tlsCert: .*key\.pem is not a readable PEM certificate[\s\S]*tlsKey: .*cert\.pem is not a readable PEM private key/],
    ['a socket in a folder that does not exist', { args: ['--socket', '/nonexistent-z3bra/a.sock'] }, /socket: the folder \/nonexistent-z3bra does not exist/],
  ]
  for (const [what, o, why] of cases) {
    const d = await startDaemon({ ...o, waitReady: false })
    t.equal(await d.exited, 2, `${what}: exit 2`)
    t.match(d.stderr(), why, what)
    t.notMatch(d.stderr(), /\n\s+at /, `${what}: no stack trace`)
    t.notOk(fs.existsSync(d.socket), `${what}: no socket left behind`)
    // Nothing was written to the state dir but the config the test put there.
    t.same(fs.readdirSync(d.dir).filter((f) => f !== 'config.json'), [], `${what}: the state dir is untouched`)
  }
})

t.test('a client_request_id reused for a different request is refused; the same request still returns its job', async (t) => {
  const d = await startDaemon()
  t.teardown(() => d.stop())
  const first = (await d.rpc(d.jobs, 'SubmitJob', { source: BELL, shots: 100, client_request_id: 'order-7' })).job
  const again = await d.rpc(d.jobs, 'SubmitJob', { source: BELL, shots: 100, client_request_id: 'order-7' })
  t.equal(again.job.job_id, first.job_id)
  const other = await codeOf(d.rpc(d.jobs, 'SubmitJob', { source: BELL, shots: 200, client_request_id: 'order-7' }))
  t.equal(other.code, grpc.status.ALREADY_EXISTS)
  t.equal(other.z3, 'Z3_REQUEST_ID_REUSED')
  t.match(other.details, `client_request_id "order-7" already names job ${first.job_id}, whose shots differs`)
  const list = await d.rpc(d.jobs, 'ListJobs', {})
  t.equal(list.jobs.length, 1, 'no second job was made')
})

t.test('exact probabilities that would need too many branches fail fast, not by the OOM killer', async (t) => {
  const d = await startDaemon()
  t.teardown(() => d.stop())
  const lines = ['OPENQASM 2.0;', 'include "qelib1.inc";', 'qreg q[1];', 'creg c[1];']
  for (let i = 0; i < 40; i++) lines.push('h q[0];', 'measure q[0] -> c[0];')
  const id = (await d.rpc(d.jobs, 'SubmitJob', { source: lines.join('\n') + '\n', shots: 10, probabilities: true })).job.job_id
  const j = await waitForState(d, id, ['FAILED'], 120_000)
  t.match(j.error, /TOO_MANY_BRANCHES/)
  t.match(j.error, /measurement branches/)
})

t.test('a runner dies with the daemon that started it', async (t) => {
  const d = await startDaemon({ config: { cpus: [0] } })
  const id = (await d.rpc(d.jobs, 'SubmitJob', { source: TRAJECTORY_CIRCUIT, shots: 200 })).job.job_id
  await waitForState(d, id, ['RUNNING'])
  let runners = runnersOf(d.proc.pid!)
  for (const until = Date.now() + 5000; runners.length === 0 && Date.now() < until; ) {
    await new Promise((r) => setTimeout(r, 20))
    runners = runnersOf(d.proc.pid!)
  }
  t.equal(runners.length, 1)
  d.proc.kill('SIGKILL')
  await d.exited
  const gone = (pid: number) => {
    try {
      return fs.readFileSync(`/proc/${pid}/status`, 'utf8').includes('State:\tZ')
    } catch {
      return true
    }
  }
  for (const until = Date.now() + 5000; !gone(runners[0]) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 20))
  t.ok(gone(runners[0]), 'no runner outlives its daemon')
})

t.test('watch opens with the time the job entered its state; --seed past 64 bits is refused', async (t) => {
  const d = await startDaemon()
  t.teardown(() => d.stop())
  const id = (await d.rpc(d.jobs, 'SubmitJob', { source: BELL, shots: 10 })).job.job_id
  const done = await waitForState(d, id, ['SUCCEEDED'])
  await new Promise((r) => setTimeout(r, 1100))
  const w = await cli(d, ['watch', id, '--json'])
  const first = JSON.parse(w.stdout.trim().split('\n')[0])
  t.equal(first.state, 'SUCCEEDED')
  const ms = (ts: any) => Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6)
  t.equal(Date.parse(first.time), ms(done.finished_at), 'the snapshot carries finished_at, not the time of the watch')
  const big = await cli(d, ['submit', '-', '--seed', '18446744073709551616'], BELL)
  t.equal(big.code, 2)
  t.match(big.stderr, /--seed must be an unsigned 64-bit integer/)
})
