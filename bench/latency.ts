// SPDX-License-Identifier: Apache-2.0
// Submit-to-result latency of a 1000-shot Bell circuit through the real
// daemon over its unix socket, beside a bare grpc-js echo RPC on a unix
// socket and the daemon's own health check, measured in the same run.
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { agentPackage, loadDefinition } from '../daemon/grpc/proto'
import { PACKAGE_ROOT } from '../daemon/paths'
import { quantile } from './results'

const ITERATIONS = 300
const WARMUP = 30
const BELL = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n'

export interface LatencySummary {
  n: number
  p50_ms: number
  p99_ms: number
  mean_ms: number
  min_ms: number
}

function summarise(samples: number[]): LatencySummary {
  const s = [...samples].sort((a, b) => a - b)
  const q = (p: number) => quantile(s, p)
  return {
    n: s.length,
    p50_ms: q(0.5),
    p99_ms: q(0.99),
    mean_ms: s.reduce((a, b) => a + b, 0) / s.length,
    min_ms: s[0],
  }
}

async function timeIt(n: number, fn: () => Promise<void>): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n + WARMUP; i++) {
    const t0 = process.hrtime.bigint()
    await fn()
    const dt = Number(process.hrtime.bigint() - t0) / 1e6
    if (i >= WARMUP) out.push(dt)
  }
  return out
}

type Ts = { seconds: string | number; nanos: number }
const tsMs = (t: Ts) => Number(t.seconds) * 1000 + t.nanos / 1e6

const unary = (client: any, method: string, req: unknown, md?: grpc.Metadata) =>
  new Promise<any>((resolve, reject) =>
    md ? client[method](req, md, (e: Error, r: unknown) => (e ? reject(e) : resolve(r))) : client[method](req, (e: Error, r: unknown) => (e ? reject(e) : resolve(r))),
  )

async function echoServer(socket: string): Promise<grpc.Server> {
  const def = protoLoader.loadSync(path.join(PACKAGE_ROOT, 'bench', 'echo.proto'), { keepCase: true })
  const Echo = (grpc.loadPackageDefinition(def) as any).z3bra.bench.Echo
  const server = new grpc.Server()
  server.addService(Echo.service, { Echo: (call: any, cb: any) => cb(null, call.request) })
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())),
  )
  return server
}

export async function runLatencyBench(): Promise<Record<string, unknown>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'z3bra-bench-'))
  const daemon = spawn(process.execPath, [path.join(PACKAGE_ROOT, 'dist', 'daemon', 'main.js'), '--state-dir', dir, '--log-level', 'warn'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let banner = ''
  await new Promise<void>((resolve, reject) => {
    daemon.stderr!.on('data', (b) => {
      banner += b
      if (banner.includes('is running')) resolve()
    })
    daemon.once('exit', (c) => reject(new Error(`daemon exited ${c}: ${banner}`)))
  })
  const socket = path.join(dir, 'agent.sock')
  const md = new grpc.Metadata()
  md.set('authorization', `Bearer ${fs.readFileSync(path.join(dir, 'admin.token'), 'utf8').trim()}`)
  const pkg = agentPackage(loadDefinition())
  const jobs = new pkg.JobService(`unix://${socket}`, grpc.credentials.createInsecure()) as any
  const healthDef = protoLoader.loadSync(require('grpc-health-check').protoPath, { keepCase: true })
  const Health = (grpc.loadPackageDefinition(healthDef) as any).grpc.health.v1.Health
  const health = new Health(`unix://${socket}`, grpc.credentials.createInsecure())
  const echoSock = path.join(dir, 'echo.sock')
  const echo = await echoServer(echoSock)
  const EchoClient = (grpc.loadPackageDefinition(protoLoader.loadSync(path.join(PACKAGE_ROOT, 'bench', 'echo.proto'), { keepCase: true })) as any).z3bra.bench.Echo
  const echoClient = new EchoClient(`unix://${echoSock}`, grpc.credentials.createInsecure())

  const submitToStart: number[] = []
  let round = 0
  const submitToResult = await timeIt(ITERATIONS, async () => {
    const r = await unary(jobs, 'SubmitJob', { source: BELL, shots: 1000 }, md)
    const warm = round++ >= WARMUP
    await new Promise<void>((resolve, reject) => {
      const s = jobs.WatchJob({ job_id: r.job.job_id }, md)
      let startMs = NaN
      s.on('data', (e: { job?: { created_at: Ts; started_at: Ts | null } }) => {
        if (e.job?.started_at) startMs = tsMs(e.job.started_at) - tsMs(e.job.created_at)
      })
      s.on('end', () => {
        if (warm && !Number.isNaN(startMs)) submitToStart.push(startMs)
      })
      s.on('error', reject)
      s.on('end', () => resolve())
    })
    const res = await unary(jobs, 'GetJobResult', { job_id: r.job.job_id }, md)
    if (Number(res.counts['00'] ?? 0) + Number(res.counts['11'] ?? 0) !== 1000) throw new Error('wrong Bell counts')
  })
  const echoTimes = await timeIt(ITERATIONS * 5, async () => {
    await unary(echoClient, 'Echo', { text: 'ping' })
  })
  const healthTimes = await timeIt(ITERATIONS * 5, async () => {
    await unary(health, 'Check', { service: '' })
  })
  jobs.close()
  health.close()
  echoClient.close()
  echo.forceShutdown()
  daemon.kill('SIGTERM')
  await new Promise((r) => daemon.once('exit', r))
  fs.rmSync(dir, { recursive: true, force: true })
  return {
    bell_1000_shots_submit_to_result: summarise(submitToResult),
    submit_to_start_cpus_free: summarise(submitToStart),
    grpc_js_echo_unix_socket: summarise(echoTimes),
    daemon_health_check_same_socket: summarise(healthTimes),
    notes:
      'submit-to-start = the job\'s started_at minus its created_at as the daemon records them (created: before the durable insert; started: the commit of RUNNING, just before the runner is spawned on its CPUs), every CPU free; submit-to-result = SubmitJob (durable commit, synchronous=FULL) + WatchJob until SUCCEEDED + GetJobResult, sequential, one job in flight; the echo is a bare grpc-js unary RPC on its own unix socket in the benchmark process; the health check is the daemon\'s own unauthenticated RPC on the agent socket.',
  }
}

if (require.main === module) {
  runLatencyBench().then((r) => console.log(JSON.stringify(r, null, 2)))
}
