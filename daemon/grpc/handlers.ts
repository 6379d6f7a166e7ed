// SPDX-License-Identifier: Apache-2.0
// The one place where callers are authenticated and domain errors become
// gRPC statuses. Service files stay thin adapters over these wrappers.
import * as grpc from '@grpc/grpc-js'
import type { Authenticator, Principal } from '../auth'
import { AgentError } from '../errors'
import type { Logger } from '../log'
import { escapeUnsafe } from '../text'

export interface HandlerContext {
  auth: Authenticator
  log: Logger
}

export function toServiceError(err: unknown, method: string, log: Logger): grpc.ServiceError {
  const md = new grpc.Metadata()
  if (err instanceof AgentError) {
    md.set('z3bra-error-code', err.code)
    const level = err.grpcCode === grpc.status.INTERNAL ? 'error' : 'info'
    log[level]({ method, code: err.code }, 'call refused')
    // A refusal may quote what the caller sent: never as raw control text.
    const details = escapeUnsafe(err.message)
    return Object.assign(new Error(details), { code: err.grpcCode, details, metadata: md })
  }
  log.error({ err, method }, 'call failed')
  md.set('z3bra-error-code', 'Z3_INTERNAL')
  const details = `${method} failed inside the agent; the daemon's log has the details.`
  return Object.assign(new Error(details), { code: grpc.status.INTERNAL, details, metadata: md })
}

export function unary<Req, Res>(
  ctx: HandlerContext,
  method: string,
  fn: (p: Principal, req: Req, call: grpc.ServerUnaryCall<Req, Res>) => Res,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    try {
      const p = ctx.auth.authenticate(call.metadata)
      callback(null, fn(p, call.request, call))
    } catch (err) {
      callback(toServiceError(err, method, ctx.log))
    }
  }
}

export function serverStream<Req, Res>(
  ctx: HandlerContext,
  method: string,
  fn: (p: Principal, call: grpc.ServerWritableStream<Req, Res>) => void,
): grpc.handleServerStreamingCall<Req, Res> {
  return (call) => {
    try {
      fn(ctx.auth.authenticate(call.metadata), call)
    } catch (err) {
      // grpc-js sends a server stream's status when the call emits an error.
      call.emit('error', toServiceError(err, method, ctx.log))
    }
  }
}
