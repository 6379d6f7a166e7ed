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
import { hostService, type HostInfo } from './host-service'
import { jobService } from './job-service'
import { agentPackage, loadDefinition } from './proto'

export const SERVICE_NAMES = ['z3bra.agent.v1.JobService', 'z3bra.agent.v1.HostService']
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
): Promise<AgentServer> {
  const def = loadDefinition()
  const pkg = agentPackage(def)
  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  })
  const ctx = { auth, log }
  server.addService(pkg.JobService.service, jobService(ctx, jobs))
  server.addService(pkg.HostService.service, hostService(ctx, jobs, config, info))
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
