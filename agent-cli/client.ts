// SPDX-License-Identifier: Apache-2.0
// A gRPC client for the agent's own socket, with the caller's token attached
// to every call.
import * as grpc from '@grpc/grpc-js'
import fs from 'node:fs'
import path from 'node:path'
import { agentPackage, loadDefinition } from '../daemon/grpc/proto'

export const DEFAULT_STATE_DIR = '.z3bra'

export interface Endpoint {
  socket: string
  tokenFile: string
}

export function resolveEndpoint(opts: { socket?: string; tokenFile?: string }): Endpoint {
  const socket = opts.socket ?? process.env.Z3BRA_SOCKET ?? path.join(DEFAULT_STATE_DIR, 'agent.sock')
  const tokenFile = opts.tokenFile ?? process.env.Z3BRA_TOKEN_FILE ?? path.join(DEFAULT_STATE_DIR, 'admin.token')
  return { socket: path.resolve(socket), tokenFile: path.resolve(tokenFile) }
}

export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message)
  }
}

export interface Clients {
  jobs: grpc.Client & Record<string, any>
  host: grpc.Client & Record<string, any>
  tenants: grpc.Client & Record<string, any>
  audit: grpc.Client & Record<string, any>
  md: grpc.Metadata
  close(): void
}

export function connect(ep: Endpoint): Clients {
  let token: string
  try {
    token = fs.readFileSync(ep.tokenFile, 'utf8').trim()
  } catch (err) {
    throw new CliError(
      `cannot read the token file ${ep.tokenFile} (${(err as NodeJS.ErrnoException).code}); is the daemon started here? (use --token-file or Z3BRA_TOKEN_FILE)`,
    )
  }
  if (!fs.existsSync(ep.socket)) {
    throw new CliError(`no agent socket at ${ep.socket}; start the daemon with \`npm start\` (or use --socket or Z3BRA_SOCKET)`)
  }
  if (!token) throw new CliError(`the token file ${ep.tokenFile} is empty (use --token-file or Z3BRA_TOKEN_FILE)`)
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new CliError(`the token file ${ep.tokenFile} does not hold a token: one line of printable characters without spaces`)
  }
  const pkg = agentPackage(loadDefinition())
  const address = `unix://${ep.socket}`
  const creds = grpc.credentials.createInsecure()
  const options = { 'grpc.max_receive_message_length': 64 * 1024 * 1024 }
  const jobs = new pkg.JobService(address, creds, options) as Clients['jobs']
  const host = new pkg.HostService(address, creds, options) as Clients['host']
  const more = pkg as unknown as Record<string, grpc.ServiceClientConstructor>
  const tenants = new more.TenantService(address, creds, options) as Clients['tenants']
  const audit = new more.AuditService(address, creds, options) as Clients['audit']
  const md = new grpc.Metadata()
  md.set('authorization', `Bearer ${token}`)
  return {
    jobs,
    host,
    tenants,
    audit,
    md,
    close() {
      jobs.close()
      host.close()
      tenants.close()
      audit.close()
    },
  }
}

/** Promisified unary call that turns a gRPC status into a CliError. */
export function call<T>(client: Record<string, any>, method: string, req: unknown, md: grpc.Metadata, timeoutMs = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    client[method](req, md, { deadline: Date.now() + timeoutMs }, (err: grpc.ServiceError | null, res: T) => {
      if (err) reject(statusError(err))
      else resolve(res)
    })
  })
}

export function statusError(err: grpc.ServiceError): CliError {
  // A socket file with no daemon behind it: one that was killed, or one
  // still starting. grpc-js names the path in its details.
  const refused = err.code === grpc.status.UNAVAILABLE ? /connect ECONNREFUSED (\S+?)\.?(?:\s|$)/.exec(err.details ?? '') : null
  if (refused) {
    return new CliError(
      `no daemon is listening on the agent socket ${refused[1]} (one that exited without removing it, or one still starting); start the daemon with \`npm start\``,
    )
  }
  const name = grpc.status[err.code] ?? String(err.code)
  const code = err.metadata?.get('z3bra-error-code')[0]
  return new CliError(`${err.details || err.message} (${name}${code ? `, ${code}` : ''})`)
}
