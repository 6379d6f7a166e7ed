// SPDX-License-Identifier: Apache-2.0
// The gRPC server: our services behind authentication, plus the standard
// health and reflection services (unauthenticated, as stock probes expect).
import * as grpc from '@grpc/grpc-js'
import { ReflectionService } from '@grpc/reflection'
import * as protoLoader from '@grpc/proto-loader'
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check'
import fs from 'node:fs'
import net from 'node:net'
import type { Authenticator } from '../auth'
import type { Config } from '../config'
import type { JobManager } from '../jobs/manager'
import type { Logger } from '../log'
import type { AuditKey } from '../audit/key'
import { Guard } from '../iam/guard'
import type { Iam } from '../iam/iam'
import { decorateJobs, iamJobMethods } from '../iam/job-methods'
import { auditService } from './audit-service'
import { tenantService } from './tenant-service'
import { hostService, type HostInfo } from './host-service'
import { jobService } from './job-service'
import { agentPackage, loadDefinition } from './proto'

export const SERVICE_NAMES = ['z3bra.agent.v1.JobService', 'z3bra.agent.v1.HostService', 'z3bra.agent.v1.TenantService', 'z3bra.agent.v1.AuditService']
// A whole circuit travels in one message; the parser has its own limit.
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024

export interface AgentServer {
  server: grpc.Server
  health: HealthImplementation
  tcpPort?: number
  /** The inode of the socket this daemon bound: at exit it removes only that. */
  socketInode: number
}

export class StartError extends Error {}

/**
 * Makes `socketPath` free to bind: nothing there, or a socket nobody
 * answers on (left by a daemon that died). Anything else there (a file, a
 * socket another process serves) is refused, never removed.
 */
async function claimSocketPath(socketPath: string): Promise<void> {
  let st: fs.Stats
  try {
    st = fs.lstatSync(socketPath)
  } catch {
    return
  }
  if (!st.isSocket()) throw new StartError(`${socketPath} exists and is not a socket; refusing to replace it (choose another --socket)`)
  const answered = await new Promise<boolean>((resolve) => {
    const c = net.connect(socketPath)
    c.once('connect', () => {
      c.destroy()
      resolve(true)
    })
    c.once('error', () => resolve(false))
  })
  if (answered) throw new StartError(`another process is serving on ${socketPath}; refusing to take it over (choose another --socket)`)
  fs.rmSync(socketPath, { force: true })
}

function bind(server: grpc.Server, address: string, creds: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, creds, (err, port) => (err ? reject(err) : resolve(port)))
  })
}

export async function startServer(
  config: Config,
  auth: Authenticator,
  jobs: JobManager,
  log: Logger,
  info: HostInfo,
  iam: Iam,
  auditKey: AuditKey,
): Promise<AgentServer> {
  const def = loadDefinition()
  const pkg = agentPackage(def)
  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  })
  const ctx = { auth, log }
  // Every service sits behind the IAM guard: authentication, the role
  // check, and the audit event of each change and each refusal.
  const guard = new Guard(auth, iam, log, `unix:${config.socket}`)
  const more = pkg as unknown as Record<string, grpc.ServiceClientConstructor>
  const jobImpl = { ...jobService(ctx, jobs), ...iamJobMethods(ctx, jobs, iam) }
  server.addService(pkg.JobService.service, guard.wrap('JobService', jobImpl, pkg.JobService.service, decorateJobs(jobs)))
  server.addService(pkg.HostService.service, guard.wrap('HostService', hostService(ctx, jobs, config, info), pkg.HostService.service))
  server.addService(more.TenantService.service, guard.wrap('TenantService', tenantService(ctx, iam, jobs), more.TenantService.service))
  server.addService(
    more.AuditService.service,
    guard.wrap('AuditService', auditService(ctx, iam.audit, auditKey.publicKey), more.AuditService.service),
  )
  const health = new HealthImplementation(Object.fromEntries(['', ...SERVICE_NAMES].map((s) => [s, 'SERVING'])))
  health.addToServer(server)
  // Reflection describes the health service too, so stock tools see every
  // service the socket answers.
  const healthDef = protoLoader.loadSync(healthProtoPath, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true })
  new ReflectionService({ ...def, ...healthDef }).addToServer(server)

  await claimSocketPath(config.socket)
  try {
    await bind(server, `unix://${config.socket}`, grpc.ServerCredentials.createInsecure())
  } catch (err) {
    throw new StartError(`cannot bind the socket ${config.socket}: ${(err as Error).message}`)
  }
  fs.chmodSync(config.socket, 0o660)
  const socketInode = fs.statSync(config.socket).ino
  let tcpPort: number | undefined
  if (config.listen) {
    const creds = grpc.ServerCredentials.createSsl(
      null,
      [{ cert_chain: fs.readFileSync(config.tlsCert!), private_key: fs.readFileSync(config.tlsKey!) }],
      false,
    )
    try {
      tcpPort = await bind(server, config.listen, creds)
    } catch (err) {
      server.forceShutdown()
      fs.rmSync(config.socket, { force: true })
      throw new StartError(`cannot listen on ${config.listen}: ${(err as Error).message}`)
    }
  }
  return { server, health, tcpPort, socketInode }
}
