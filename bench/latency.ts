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
  const daemon = spawn(process.execPath, [path.join(PACKAGE_ROOT, 'dist', 'daemon', 'main.js'), '--state-dir', dir, '--log-level', 'info'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let banner = ''
  // The daemon's log: each succeeded job's phases_ms (daemon/jobs/manager.ts).
  const phases: Record<string, number>[] = []
  let logTail = ''
  daemon.stdout!.on('data', (b) => {
    const lines = (logTail + b).split('\n')
    logTail = lines.pop() ?? ''
    for (const line of lines) {
      if (!line.includes('"phases_ms"')) continue
      phases.push(JSON.parse(line).phases_ms)
    }
  })
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
  const submitRpc: number[] = []
  const watchToEnd: number[] = []
  const resultRpc: number[] = []
  let round = 0
  const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6
  const submitToResult = await timeIt(ITERATIONS, async () => {
    const t0 = process.hrtime.bigint()
    const r = await unary(jobs, 'SubmitJob', { source: BELL, shots: 1000 }, md)
    const warm = round++ >= WARMUP
    if (warm) submitRpc.push(ms(t0))
    const t1 = process.hrtime.bigint()
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
    if (warm) watchToEnd.push(ms(t1))
    const t2 = process.hrtime.bigint()
    const res = await unary(jobs, 'GetJobResult', { job_id: r.job.job_id }, md)
    if (warm) resultRpc.push(ms(t2))
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
  // The daemon's phases of the measured jobs (the warm-up's are first).
  const measured = phases.slice(WARMUP, WARMUP + ITERATIONS)
  const daemonPhases: Record<string, LatencySummary> = {}
  for (const name of Object.keys(measured[0] ?? {})) daemonPhases[name] = summarise(measured.map((p) => p[name]))
  return {
    bell_1000_shots_submit_to_result: summarise(submitToResult),
    split: {
      submit_rpc: summarise(submitRpc),
      watch_until_succeeded: summarise(watchToEnd),
      get_result_rpc: summarise(resultRpc),
      daemon_phases: daemonPhases,
    },
    submit_to_start_cpus_free: summarise(submitToStart),
    grpc_js_echo_unix_socket: summarise(echoTimes),
    daemon_health_check_same_socket: summarise(healthTimes),
    notes:
      'submit-to-start = the job\'s started_at minus its created_at as the daemon records them (created: before the durable insert; started: the commit of RUNNING, just before the runner is spawned on its CPUs), every CPU free; submit-to-result = SubmitJob (durable commit, synchronous=FULL) + WatchJob until SUCCEEDED + GetJobResult, sequential, one job in flight; the echo is a bare grpc-js unary RPC on its own unix socket in the benchmark process; the health check is the daemon\'s own unauthenticated RPC on the agent socket. split: the same jobs\' submit RPC, watch until SUCCEEDED and result RPC as the client saw them, and the daemon\'s phases from taking a job to committing its result (phases_ms in its log: the RUNNING commit, the runner\'s spawn, pinning and recording the placement, compiling and feeding the input, the runner until it exits, removing the job\'s cpuset, the SUCCEEDED commit with the result).',
  }
}

if (require.main === module) {
  runLatencyBench().then((r) => console.log(JSON.stringify(r, null, 2)))
}
