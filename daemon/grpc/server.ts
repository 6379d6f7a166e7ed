// SPDX-License-Identifier: Apache-2.0
// The gRPC server: our services behind authentication, plus the standard
// health and reflection services (unauthenticated, as stock probes expect).
import * as grpc from '@grpc/grpc-js'
import { ReflectionService } from '@grpc/reflection'
import { HealthImplementation } from 'grpc-health-check'
import fs from 'node:fs'
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
  new ReflectionService(def).addToServer(server)

  // The lock on the state dir is held, so a socket file left here belongs
  // to a daemon that died without cleaning up.
  fs.rmSync(config.socket, { force: true })
  await bind(server, `unix://${config.socket}`, grpc.ServerCredentials.createInsecure())
  fs.chmodSync(config.socket, 0o660)
  let tcpPort: number | undefined
  if (config.listen) {
    const creds = grpc.ServerCredentials.createSsl(
      null,
      [{ cert_chain: fs.readFileSync(config.tlsCert!), private_key: fs.readFileSync(config.tlsKey!) }],
      false,
    )
    tcpPort = await bind(server, config.listen, creds)
  }
  return { server, health, tcpPort }
}
