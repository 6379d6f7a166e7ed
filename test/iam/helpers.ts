// SPDX-License-Identifier: Apache-2.0
// Shared by the IAM and audit tests: clients of the four services on a real
// daemon, per-token metadata, and a status-code probe.
import * as grpc from '@grpc/grpc-js'
import { agentPackage, loadDefinition } from '../../daemon/grpc/proto'
import { startDaemon, type Daemon, type StartOptions } from '../helpers/daemon'

export const BELL = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n'

export interface Services {
  jobs: Record<string, any>
  host: Record<string, any>
  tenants: Record<string, any>
  audit: Record<string, any>
  close(): void
}

export function services(d: Daemon): Services {
  const pkg = agentPackage(loadDefinition()) as unknown as Record<string, grpc.ServiceClientConstructor>
  const creds = grpc.credentials.createInsecure()
  const at = `unix://${d.socket}`
  const s = {
    jobs: new pkg.JobService(at, creds) as unknown as Record<string, any>,
    host: new pkg.HostService(at, creds) as unknown as Record<string, any>,
    tenants: new pkg.TenantService(at, creds) as unknown as Record<string, any>,
    audit: new pkg.AuditService(at, creds) as unknown as Record<string, any>,
  }
  return { ...s, close: () => Object.values(s).forEach((c) => (c as unknown as grpc.Client).close()) }
}

/** A daemon for one test, its service clients and the admin's metadata, stopped at the test's end. */
export async function daemonFor(t: { teardown(fn: () => unknown): void }, o: StartOptions = {}): Promise<{ d: Daemon; s: Services; admin: grpc.Metadata }> {
  const d = await startDaemon(o)
  const s = services(d)
  t.teardown(async () => {
    s.close()
    await d.stop()
  })
  return { d, s, admin: bearer(d.token) }
}

/** Adds a user with `role` to `tenant` and returns the metadata of a fresh token for it. */
export async function userWithToken(s: Services, admin: grpc.Metadata, tenant: string, user: string, role: string): Promise<grpc.Metadata> {
  await rpc(s.tenants, 'AddUser', { tenant_id: tenant, user_id: user, role }, admin)
  return bearer((await rpc(s.tenants, 'IssueToken', { tenant_id: tenant, user_id: user }, admin)).token)
}

export function bearer(token: string): grpc.Metadata {
  const md = new grpc.Metadata()
  md.set('authorization', `Bearer ${token}`)
  return md
}

export function rpc<T = any>(client: Record<string, any>, method: string, req: unknown, md: grpc.Metadata): Promise<T> {
  return new Promise((resolve, reject) => {
    client[method](req, md, { deadline: Date.now() + 60_000 }, (e: Error | null, r: T) => (e ? reject(e) : resolve(r)))
  })
}

export interface Outcome {
  code: number
  details: string
  z3?: string
}

export function outcome(p: Promise<unknown>): Promise<Outcome> {
  return p.then(
    () => ({ code: grpc.status.OK, details: '' }),
    (e: grpc.ServiceError) => ({ code: e.code, details: e.details, z3: e.metadata?.get('z3bra-error-code')[0] as string | undefined }),
  )
}

/** The first event of a WatchJob stream, or its error. */
export function watchFirst(client: Record<string, any>, jobId: string, md: grpc.Metadata): Promise<Outcome> {
  return new Promise((resolve) => {
    const s = client.WatchJob({ job_id: jobId }, md)
    let done = false
    s.on('data', () => {
      if (!done) resolve({ code: grpc.status.OK, details: '' })
      done = true
      s.cancel()
    })
    s.on('error', (e: grpc.ServiceError) => {
      if (!done) resolve({ code: e.code, details: e.details })
      done = true
    })
    s.on('end', () => {
      if (!done) resolve({ code: grpc.status.OK, details: '' })
      done = true
    })
  })
}

/** Polls GetJob until the job is in one of `states`. */
export async function waitState(s: Services, md: grpc.Metadata, id: string, states: string[], timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const j = await rpc(s.jobs, 'GetJob', { job_id: id }, md)
    if (states.includes(j.state)) return j
    if (Date.now() > deadline) throw new Error(`job ${id} still ${j.state} after ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 25))
  }
}
