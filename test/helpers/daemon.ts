// SPDX-License-Identifier: Apache-2.0
// Starts the real daemon (the built dist/, as a user runs it) on a fresh
// state dir, and talks to it through the real CLI or a real gRPC client.
import * as grpc from '@grpc/grpc-js'
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { agentPackage, loadDefinition } from '../../daemon/grpc/proto'

export const ROOT = path.resolve(__dirname, '..', '..')
export const DAEMON = path.join(ROOT, 'dist', 'daemon', 'main.js')
export const CLI = path.join(ROOT, 'dist', 'agent-cli', 'main.js')
/**
 * The QASMBench circuits and their independently computed distributions,
 * kept in the repository with their licence (test/circuits/qasmbench/).
 * Z3BRA_QASMBENCH_DIR points the suite at another copy.
 */
export const QASMBENCH = process.env.Z3BRA_QASMBENCH_DIR ?? path.join(ROOT, 'test', 'circuits', 'qasmbench')

export interface Daemon {
  dir: string
  socket: string
  tokenFile: string
  token: string
  proc: ChildProcess
  stdout: () => string
  stderr: () => string
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>
  jobs: Record<string, any>
  host: Record<string, any>
  md: grpc.Metadata
  rpc<T = any>(client: Record<string, any>, method: string, req: unknown, md?: grpc.Metadata): Promise<T>
  stop(signal?: NodeJS.Signals): Promise<number | string>
}

export function tempDir(prefix = 'z3bra-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
}

export interface StartOptions {
  dir?: string
  args?: string[]
  config?: Record<string, unknown>
  env?: Record<string, string>
  /** Wait for the banner; false returns as soon as the process is spawned. */
  waitReady?: boolean
}

export async function startDaemon(o: StartOptions = {}): Promise<Daemon> {
  const dir = o.dir ?? tempDir()
  const args = [DAEMON, '--state-dir', dir, ...(o.args ?? [])]
  if (o.config) {
    const cfg = path.join(dir, 'config.json')
    fs.mkdirSync(dir, { recursive: true })
    fs.writeFileSync(cfg, JSON.stringify(o.config))
    args.push('--config', cfg)
  }
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...o.env } })
  let out = ''
  let err = ''
  proc.stdout!.on('data', (b) => (out += b))
  proc.stderr!.on('data', (b) => (err += b))
  const exited = new Promise<number | string>((resolve) => proc.on('exit', (code, sig) => resolve(code ?? sig ?? -1)))
  const socket = path.join(dir, 'agent.sock')
  const tokenFile = path.join(dir, 'admin.token')
  if (o.waitReady !== false) {
    const deadline = Date.now() + 30_000
    while (!err.includes('is running')) {
      if (proc.exitCode !== null) throw new Error(`daemon exited ${proc.exitCode}: ${err}`)
      if (Date.now() > deadline) {
        // After a stall of this process (a loaded or paused machine) the
        // timer fires before the banner waiting in the pipe is read: give
        // the pipe one more turn before giving up.
        await new Promise((r) => setTimeout(r, 250))
        if (err.includes('is running')) break
        // Never leave a daemon behind holding the state dir.
        proc.kill('SIGKILL')
        throw new Error(`daemon did not start: ${err}`)
      }
      await new Promise((r) => setTimeout(r, 25))
    }
  }
  const token = fs.existsSync(tokenFile) ? fs.readFileSync(tokenFile, 'utf8').trim() : ''
  const pkg = agentPackage(loadDefinition())
  const creds = grpc.credentials.createInsecure()
  const opts = { 'grpc.max_receive_message_length': 64 * 1024 * 1024 }
  const jobs = new pkg.JobService(`unix://${socket}`, creds, opts) as unknown as Record<string, any>
  const host = new pkg.HostService(`unix://${socket}`, creds, opts) as unknown as Record<string, any>
  const md = new grpc.Metadata()
  md.set('authorization', `Bearer ${token}`)
  const d: Daemon = {
    dir,
    socket,
    tokenFile,
    token,
    proc,
    stdout: () => out,
    stderr: () => err,
    exited,
    jobs,
    host,
    md,
    rpc(client, method, req, m = md) {
      return new Promise((resolve, reject) => {
        client[method](req, m, { deadline: Date.now() + 120_000 }, (e: Error | null, r: any) => (e ? reject(e) : resolve(r)))
      })
    },
    async stop(signal = 'SIGTERM') {
      jobs.close()
      host.close()
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal)
      return exited
    },
  }
  return d
}

export interface CliRun {
  code: number
  stdout: string
  stderr: string
}

/** Runs the real CLI against a daemon's socket and token. */
export function cli(d: Pick<Daemon, 'socket' | 'tokenFile'>, args: string[], input?: string): Promise<CliRun> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, '--socket', d.socket, '--token-file', d.tokenFile, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (b) => (stdout += b))
    p.stderr.on('data', (b) => (stderr += b))
    p.stdin.end(input ?? '')
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))
  })
}

const ENDED = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED'])

/**
 * Polls GetJob until the job is in one of `states`. A job that ends in a
 * state not asked for fails the wait at once instead of running out the
 * clock.
 */
export async function waitForState(d: Daemon, id: string, states: string[], timeoutMs = 300_000): Promise<any> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const j = await d.rpc(d.jobs, 'GetJob', { job_id: id })
    if (states.includes(j.state)) return j
    if (ENDED.has(j.state)) throw new Error(`job ${id} ended ${j.state} (${j.error || 'no error'}) while waiting for ${states.join('|')}`)
    if (Date.now() > deadline) throw new Error(`job ${id} still ${j.state} after ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/**
 * A circuit that keeps a job RUNNING for a while, whatever the simulator's
 * fusion or kernels: 400 mid-circuit measurements of fresh superpositions on
 * 20 qubits, so every shot re-simulates the whole trajectory and each
 * measurement reads the whole state. About half a second a shot on a 2-CPU
 * test machine; `shots` sets the length.
 */
export function trajectoryCircuit(qubits = 20): string {
  const lines = ['OPENQASM 2.0;', 'include "qelib1.inc";', `qreg q[${qubits}];`, 'creg c[2];']
  for (let i = 0; i < 400; i++) lines.push(`h q[${i % qubits}];`, `measure q[${i % qubits}] -> c[0];`)
  lines.push('measure q[0] -> c[0];', 'measure q[1] -> c[1];')
  return lines.join('\n') + '\n'
}
export const TRAJECTORY_CIRCUIT = trajectoryCircuit()

/** Live z3bra-sim processes whose parent is `ppid`. */
export function runnersOf(ppid: number): number[] {
  const out: number[] = []
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(fields[1]) === ppid && fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').includes('z3bra-sim')) out.push(Number(e))
    } catch {
      // The process ended while we looked.
    }
  }
  return out
}
