// SPDX-License-Identifier: Apache-2.0
// The gRPC contract against a real daemon: authentication, exact status
// codes, idempotency, paging, cancellation, admission, health, reflection.
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'
import t from 'tap'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { agentPackage, loadDefinition } from '../../daemon/grpc/proto'
import { startDaemon, tempDir, TRAJECTORY_CIRCUIT, waitForState, type Daemon } from '../helpers/daemon'

const BELL = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n'

function codeOf(p: Promise<unknown>): Promise<{ code: number; details: string; z3: string | undefined }> {
  return p.then(
    () => ({ code: grpc.status.OK, details: '', z3: undefined }),
    (e: grpc.ServiceError) => ({ code: e.code, details: e.details, z3: e.metadata?.get('z3bra-error-code')[0] as string }),
  )
}

let d: Daemon
t.before(async () => {
  d = await startDaemon({ config: { cpus: [0], memoryLimitBytes: 16 * 2 ** 23 } })
})
t.teardown(() => d.stop())

t.test('calls without a valid bearer token are UNAUTHENTICATED', async (t) => {
  const none = new grpc.Metadata()
  const wrong = new grpc.Metadata()
  wrong.set('authorization', 'Bearer z3a_not-a-real-token')
  const malformed = new grpc.Metadata()
  malformed.set('authorization', d.token)
  for (const [name, md] of [['none', none], ['wrong', wrong], ['no Bearer prefix', malformed]] as const) {
    const r = await codeOf(d.rpc(d.host, 'GetStatus', {}, md))
    t.equal(r.code, grpc.status.UNAUTHENTICATED, name)
    t.equal(r.z3, 'Z3_UNAUTHENTICATED', name)
    const s = await codeOf(d.rpc(d.jobs, 'SubmitJob', { source: BELL, shots: 10 }, md))
    t.equal(s.code, grpc.status.UNAUTHENTICATED, `${name}: submit`)
  }
  const list = await d.rpc(d.jobs, 'ListJobs', { page_size: 500 })
  t.equal(list.jobs.length, 0, 'no job was created by a refused call')
})

t.test('circuit errors are INVALID_ARGUMENT with line and column, and create no job', async (t) => {
  const before = (await d.rpc(d.jobs, 'ListJobs', { page_size: 500 })).jobs.length
  const r = await codeOf(d.rpc(d.jobs, 'SubmitJob', { source: 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nh r[0];\n', shots: 10 }))
  t.equal(r.code, grpc.status.INVALID_ARGUMENT)
  t.equal(r.z3, 'Z3_CIRCUIT_INVALID')
  t.match(r.details, /line 4, column 3/)
  const noShots = await codeOf(d.rpc(d.jobs, 'SubmitJob', { source: BELL, shots: 0 }))
  t.equal(noShots.code, grpc.status.INVALID_ARGUMENT)
  const backend = await codeOf(d.rpc(d.jobs, 'SubmitJob', { source: BELL, shots: 1, backend: 'ibm:nowhere' }))
  t.equal(backend.z3, 'Z3_BACKEND_UNKNOWN')
  const tooMany = await codeOf(d.rpc(d.jobs, 'SubmitJob', { source: BELL, shots: 2_000_000 }))
  t.equal(tooMany.code, grpc.status.RESOURCE_EXHAUSTED)
  t.match(tooMany.details, /maxShots/)
  t.equal((await d.rpc(d.jobs, 'ListJobs', { page_size: 500 })).jobs.length, before)
})

t.test('a refusal quotes what the caller sent with control and invisible characters escaped', async (t) => {
  const before = (await d.rpc(d.jobs, 'ListJobs', { page_size: 500 })).jobs.length
  const bad = await codeOf(d.rpc(d.jobs, 'SubmitJob', { source: BELL, shots: 1, precision: 'a\u001b[31mb\u202e' }))
  t.equal(bad.code, grpc.status.INVALID_ARGUMENT)
  t.equal(bad.details, 'precision must be "single" or "double"; got "a\\u001B[31mb\\u202E".')
  const fmt = await codeOf(d.rpc(d.jobs, 'SubmitJob', { source: BELL, shots: 1, format: 7 }))
  t.same([fmt.code, fmt.details], [grpc.status.INVALID_ARGUMENT, 'format must be OPENQASM2, OPENQASM3 or unspecified; got "7".'])
  const rlo = await codeOf(d.rpc(d.jobs, 'SubmitJob', { source: BELL, shots: 1, name: 'invoice\u202efdp.exe' }))
  t.equal(rlo.details, 'name holds an invisible or direction-changing character (U+202E at character 8); it must be plain text.')
  t.equal((await d.rpc(d.jobs, 'ListJobs', { page_size: 500 })).jobs.length, before, 'nothing was stored')
})

t.test('a statevector above the memory limit is refused with the bytes it needs', async (t) => {
  const src = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[24];\ncreg c[1];\nh q[0];\nmeasure q[0] -> c[0];\n'
  const r = await codeOf(d.rpc(d.jobs, 'SubmitJob', { source: src, shots: 1 }))
  t.equal(r.code, grpc.status.RESOURCE_EXHAUSTED)
  t.equal(r.z3, 'Z3_MEMORY_LIMIT')
  t.match(r.details, /needs 268435456 bytes/)
  t.match(r.details, /limit of 134217728 bytes/)
  t.match(r.details, /In single precision \(precision "single"\) it needs 134217728 bytes, which fits\.$/)
  const q25 = src.replace('qreg q[24]', 'qreg q[25]')
  const r25 = await codeOf(d.rpc(d.jobs, 'SubmitJob', { source: q25, shots: 1 }))
  t.notMatch(r25.details, /single precision/, 'no hint where single precision would not fit either')
})

t.test('a repeated client_request_id returns the same job', async (t) => {
  const a = await d.rpc(d.jobs, 'SubmitJob', { source: BELL, shots: 10, client_request_id: 'req-1' })
  const b = await d.rpc(d.jobs, 'SubmitJob', { source: BELL, shots: 10, client_request_id: 'req-1' })
  t.equal(a.existing, false)
  t.equal(b.existing, true)
  t.equal(b.job.job_id, a.job.job_id)
  const all = (await d.rpc(d.jobs, 'ListJobs', { page_size: 500 })).jobs.filter((j: any) => j.client_request_id === 'req-1')
  t.equal(all.length, 1)
  await waitForState(d, a.job.job_id, ['SUCCEEDED'])
})

t.test('ListJobs pages newest first and filters by state', async (t) => {
  const ids: string[] = []
  for (let i = 0; i < 5; i++) ids.push((await d.rpc(d.jobs, 'SubmitJob', { source: BELL, shots: 5, name: `page-${i}` })).job.job_id)
  for (const id of ids) await waitForState(d, id, ['SUCCEEDED'])
  const seen: string[] = []
  let token = ''
  do {
    const page = await d.rpc(d.jobs, 'ListJobs', { page_size: 2, page_token: token })
    t.ok(page.jobs.length <= 2)
    seen.push(...page.jobs.map((j: any) => j.job_id))
    token = page.next_page_token
  } while (token)
  t.same(seen.slice(0, 5), [...ids].reverse(), 'newest first across pages')
  t.equal(new Set(seen).size, seen.length, 'no job twice')
  const failed = await d.rpc(d.jobs, 'ListJobs', { states: ['FAILED'] })
  t.equal(failed.jobs.length, 0)
  const bad = await codeOf(d.rpc(d.jobs, 'ListJobs', { page_token: 'garbage' }))
  t.equal(bad.code, grpc.status.INVALID_ARGUMENT)
})

t.test('cancel kills a running runner, frees the CPU, and cancels queued jobs', async (t) => {
  const slow = (await d.rpc(d.jobs, 'SubmitJob', { source: TRAJECTORY_CIRCUIT, shots: 500 })).job.job_id
  const queued = (await d.rpc(d.jobs, 'SubmitJob', { source: BELL, shots: 1 })).job.job_id
  const running = await waitForState(d, slow, ['RUNNING'])
  t.same(running.cpus, [0])
  t.equal((await d.rpc(d.jobs, 'GetJob', { job_id: queued })).state, 'QUEUED', 'one CPU: the second job waits')
  const c2 = await d.rpc(d.jobs, 'CancelJob', { job_id: queued, reason: 'not needed' })
  t.equal(c2.state, 'CANCELLED')
  t.match(c2.error, /not needed/)
  const c1 = await d.rpc(d.jobs, 'CancelJob', { job_id: slow })
  t.equal(c1.state, 'CANCELLED')
  const st = await d.rpc(d.host, 'GetStatus', {})
  const deadline = Date.now() + 10_000
  let status = st
  while (status.running_jobs > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50))
    status = await d.rpc(d.host, 'GetStatus', {})
  }
  t.equal(status.running_jobs, 0, 'the runner is gone and the CPU free')
  const after = (await d.rpc(d.jobs, 'SubmitJob', { source: BELL, shots: 3 })).job.job_id
  t.equal((await waitForState(d, after, ['SUCCEEDED'])).state, 'SUCCEEDED', 'the freed CPU takes the next job')
  const again = await codeOf(d.rpc(d.jobs, 'CancelJob', { job_id: after }))
  t.equal(again.code, grpc.status.FAILED_PRECONDITION)
  const res = await codeOf(d.rpc(d.jobs, 'GetJobResult', { job_id: slow }))
  t.equal(res.code, grpc.status.FAILED_PRECONDITION)
})

t.test('WatchJob streams every transition and ends after the last', async (t) => {
  const id = (await d.rpc(d.jobs, 'SubmitJob', { source: BELL, shots: 10 })).job.job_id
  const states: string[] = await new Promise((resolve, reject) => {
    const seen: string[] = []
    const s = d.jobs.WatchJob({ job_id: id }, d.md)
    s.on('data', (ev: any) => seen.push(ev.state))
    s.on('error', reject)
    s.on('end', () => resolve(seen))
  })
  t.equal(states[states.length - 1], 'SUCCEEDED')
  t.ok(states.every((s, i) => i === 0 || s !== states[i - 1]), `no state twice in a row: ${states}`)
  const unknown = await new Promise<number>((resolve) => {
    const s = d.jobs.WatchJob({ job_id: 'nope' }, d.md)
    s.on('data', () => {})
    s.on('error', (e: grpc.ServiceError) => resolve(e.code))
    s.on('end', () => resolve(-1))
  })
  t.equal(unknown, grpc.status.NOT_FOUND)
})

t.test('standard health and reflection services answer stock clients', async (t) => {
  const healthDef = protoLoader.loadSync(require('grpc-health-check').protoPath, { keepCase: true, enums: String })
  const Health = (grpc.loadPackageDefinition(healthDef) as any).grpc.health.v1.Health
  const h = new Health(`unix://${d.socket}`, grpc.credentials.createInsecure())
  const res: any = await new Promise((resolve, reject) => h.Check({ service: '' }, (e: Error, r: unknown) => (e ? reject(e) : resolve(r))))
  t.equal(res.status, 'SERVING')
  const job: any = await new Promise((resolve, reject) =>
    h.Check({ service: 'z3bra.agent.v1.JobService' }, (e: Error, r: unknown) => (e ? reject(e) : resolve(r))),
  )
  t.equal(job.status, 'SERVING')
  h.close()

  const reflDir = path.dirname(require.resolve('@grpc/reflection/package.json'))
  const reflProto = path.join(reflDir, 'build/proto/grpc/reflection/v1alpha/reflection.proto')
  const rdef = protoLoader.loadSync(fs.existsSync(reflProto) ? reflProto : path.join(reflDir, 'proto/grpc/reflection/v1alpha/reflection.proto'), { keepCase: true })
  const Refl = (grpc.loadPackageDefinition(rdef) as any).grpc.reflection.v1alpha.ServerReflection
  const rc = new Refl(`unix://${d.socket}`, grpc.credentials.createInsecure())
  const services: string[] = await new Promise((resolve, reject) => {
    const s = rc.ServerReflectionInfo()
    s.on('data', (m: any) => {
      resolve(m.list_services_response.service.map((x: any) => x.name))
      s.end()
    })
    s.on('error', reject)
    s.write({ list_services: '' })
  })
  rc.close()
  t.ok(services.includes('z3bra.agent.v1.JobService'), services.join(','))
  t.ok(services.includes('z3bra.agent.v1.HostService'))
})

t.test('TCP with TLS serves the same API', async (t) => {
  const dir = tempDir()
  const key = path.join(dir, 'key.pem')
  const cert = path.join(dir, 'cert.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' })
  const td = await startDaemon({ dir, args: ['--listen', '127.0.0.1:0', '--tls-cert', cert, '--tls-key', key] })
  t.teardown(() => td.stop())
  const m = /tcp\+tls: 127\.0\.0\.1:(\d+)/.exec(td.stderr())
  t.ok(m, 'the banner names the TCP port')
  const pkg = agentPackage(loadDefinition())
  const host = new pkg.HostService(`127.0.0.1:${m![1]}`, grpc.credentials.createSsl(fs.readFileSync(cert)), {
    'grpc.ssl_target_name_override': 'localhost',
  }) as any
  const st: any = await new Promise((resolve, reject) => host.GetStatus({}, td.md, (e: Error, r: unknown) => (e ? reject(e) : resolve(r))))
  t.equal(st.state, 'serving')
  const plain = new pkg.HostService(`127.0.0.1:${m![1]}`, grpc.credentials.createInsecure()) as any
  const code = await new Promise<number>((resolve) =>
    plain.GetStatus({}, td.md, { deadline: Date.now() + 3000 }, (e: grpc.ServiceError | null) => resolve(e ? e.code : 0)),
  )
  t.not(code, 0, 'plaintext is refused on the TLS port')
  host.close()
  plain.close()
  const noKey = await startDaemon({ dir: tempDir(), args: ['--listen', '127.0.0.1:0'], waitReady: false })
  t.equal(await noKey.exited, 2, 'listen without a certificate is a configuration error')
  t.match(noKey.stderr(), /TCP listening needs tlsCert and tlsKey/)
})
