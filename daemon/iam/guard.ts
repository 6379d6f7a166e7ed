// SPDX-License-Identifier: Apache-2.0
// The IAM guard in front of every service method: authenticate (API token
// or JWT), check that the role may ever do this method's action on its
// resource (deny by default; a method with no rule is system_admin's only),
// then run the method and write the audit event: every call that changes
// state, whatever its outcome, and every refusal of any call.
import * as grpc from '@grpc/grpc-js'
import type { Authenticator, Principal } from '../auth'
import { AgentError } from '../errors'
import { toServiceError } from '../grpc/handlers'
import type { Logger } from '../log'
import type { Iam } from './iam'
import { mayEver } from './policy'
import type { Action, Resource } from './roles'

export interface MethodRule {
  resource: Resource
  action: Action
  /** Changes state: audited on success too. */
  mutates: boolean
  /** The request field naming the target, for the audit record. */
  idField?: string
  /** Audited inside the method's own transaction when it succeeds. */
  auditsItself?: boolean
}

const r = (resource: Resource, action: Action, mutates = false, idField?: string, auditsItself = false): MethodRule => ({
  resource,
  action,
  mutates,
  idField,
  auditsItself,
})

export const METHOD_RULES: Readonly<Record<string, MethodRule>> = {
  'JobService.SubmitJob': r('job', 'execute', true, undefined, true),
  'JobService.GetJob': r('job', 'read', false, 'job_id'),
  'JobService.ListJobs': r('job', 'read'),
  'JobService.CancelJob': r('job', 'update', true, 'job_id'),
  'JobService.WatchJob': r('job', 'read', false, 'job_id'),
  'JobService.GetJobResult': r('job_result', 'read', false, 'job_id'),
  'HostService.GetStatus': r('host', 'read'),
  'HostService.Drain': r('host', 'update', true),
  'HostService.Undrain': r('host', 'update', true),
  'HostService.Cordon': r('host', 'update', true),
  'HostService.Uncordon': r('host', 'update', true),
  'TenantService.CreateTenant': r('tenant', 'create', true, 'tenant_id'),
  'TenantService.GetTenant': r('tenant', 'read', false, 'tenant_id'),
  'TenantService.ListTenants': r('tenant', 'read'),
  'TenantService.UpdateTenant': r('subscription', 'update', true, 'tenant_id'),
  'TenantService.AddUser': r('user', 'create', true, 'user_id'),
  'TenantService.ListUsers': r('user', 'read', false, 'tenant_id'),
  'TenantService.IssueToken': r('token', 'create', true, 'user_id'),
  'TenantService.ListTokens': r('token', 'read', false, 'tenant_id'),
  'TenantService.RevokeToken': r('token', 'delete', true, 'token_id'),
  'TenantService.GetUsage': r('usage', 'read', false, 'tenant_id'),
  'TenantService.StreamUsage': r('usage', 'read', false, 'tenant_id'),
  'AuditService.ListEvents': r('audit', 'read'),
  'AuditService.VerifyChain': r('audit', 'execute'),
}

// A method added to a service without a rule above: only a role granted
// every action on every resource (system_admin) may call it.
const UNLISTED: MethodRule = { resource: 'host', action: 'delete', mutates: true }

/** Adds classification and justification to the Job messages in a response. */
export type Decorate = (res: unknown) => unknown

type AnyCall = grpc.ServerUnaryCall<any, any> | grpc.ServerWritableStream<any, any>

// Request fields never copied into an audit event: a circuit is large and
// has its own hash on the job row.
const NOT_AUDITED = new Set(['source'])

/** Set fields of a request message, without proto3 oneof markers, at any depth. */
function setFields(m: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(m)) {
    if (NOT_AUDITED.has(k) || k.startsWith('_') || v === '' || v === null || v === undefined) continue
    out[k] = v !== null && typeof v === 'object' && !Array.isArray(v) ? setFields(v as Record<string, unknown>) : v
  }
  return out
}

/** What a successful change asked for, for the record. */
function requestDetails(req: Record<string, unknown>, res: unknown): Record<string, unknown> {
  const out = setFields(req)
  // An issued token is known afterwards by its id (never its secret).
  const issued = (res as { info?: { token_id?: string } } | undefined)?.info?.token_id
  if (issued) out.issued_token_id = issued
  return out
}

function auditEvent(iam: Iam, p: Principal | undefined, name: string, rule: MethodRule, call: AnyCall, err: grpc.ServiceError | null, res?: unknown, peer?: string): void {
  const req = (call.request ?? {}) as Record<string, unknown>
  const id = rule.idField ? String(req[rule.idField] ?? '') : ''
  const code = err ? String(err.metadata?.get('z3bra-error-code')[0] ?? '') : ''
  const outcome = err ? (grpc.status[err.code] ?? String(err.code)) : 'ok'
  const target = typeof req.tenant_id === 'string' && req.tenant_id && !err ? req.tenant_id : undefined
  const actor = p
    ? { userId: p.userId, role: p.role, tenantId: p.tenantId, peer: p.peer }
    : { userId: '', role: '', tenantId: '', peer: peer ?? call.getPeer() }
  iam.audit.append({
    // A refusal is filed under the caller's tenant, never the target's:
    // a probe of another tenant's ids must not show up in that tenant's log.
    tenantId: target ?? p?.tenantId ?? '',
    actor,
    action: name,
    resource: rule.resource,
    resourceId: id,
    outcome,
    code,
    details: err ? { message: err.details } : requestDetails(req, res),
  })
}

export class Guard {
  constructor(
    private readonly auth: Authenticator,
    private readonly iam: Iam,
    private readonly log: Logger,
    /** What to record as the peer when grpc-js has no address (a unix socket). */
    private readonly localPeer = 'unix',
  ) {}

  private peer(call: AnyCall): string {
    const p = call.getPeer()
    return p && p !== 'unknown' ? p : this.localPeer
  }

  private check(p: Principal, name: string, rule: MethodRule): void {
    if (!mayEver(p, rule.resource, rule.action)) {
      throw new AgentError('Z3_PERMISSION_DENIED', `Role ${p.role} may not ${rule.action} ${rule.resource} (${name}).`)
    }
  }

  private audit(p: Principal | undefined, name: string, rule: MethodRule, call: AnyCall, err: grpc.ServiceError | null, res?: unknown): void {
    if (!err && (!rule.mutates || rule.auditsItself)) return
    try {
      auditEvent(this.iam, p, name, rule, call, err, res, this.peer(call))
    } catch (e) {
      this.log.error({ err: e, method: name }, 'audit event not written')
    }
  }

  /** Wraps every method of a service implementation. */
  wrap(service: string, impl: grpc.UntypedServiceImplementation, def: grpc.ServiceDefinition, decorate: Decorate = (x) => x): grpc.UntypedServiceImplementation {
    const out: grpc.UntypedServiceImplementation = {}
    for (const [method, d] of Object.entries(def)) {
      const name = `${service}.${method}`
      const rule = METHOD_RULES[name] ?? UNLISTED
      if (!METHOD_RULES[name]) this.log.warn({ method: name }, 'method has no IAM rule; only system_admin may call it')
      const inner = impl[method] as (...args: any[]) => void
      if (!inner) continue
      if (d.responseStream) {
        out[method] = ((call: grpc.ServerWritableStream<any, any>) => {
          let principal: Principal | undefined
          this.auth
            .resolve(call.metadata, this.peer(call))
            .then((p) => {
              principal = p
              this.check(p, name, rule)
              const write = call.write.bind(call)
              call.write = ((msg: unknown, ...rest: any[]) => write(decorate(msg), ...rest)) as typeof call.write
              inner(call)
            })
            .catch((err) => {
              const se = toServiceError(err, name, this.log)
              this.audit(principal, name, rule, call, se)
              call.emit('error', se)
            })
        }) as grpc.handleServerStreamingCall<any, any>
      } else {
        out[method] = ((call: grpc.ServerUnaryCall<any, any>, callback: grpc.sendUnaryData<any>) => {
          let principal: Principal | undefined
          this.auth
            .resolve(call.metadata, this.peer(call))
            .then((p) => {
              principal = p
              this.check(p, name, rule)
            })
            .then(
              () =>
                inner(call, (err: grpc.ServiceError | null, res?: unknown) => {
                  this.audit(principal, name, rule, call, err, res)
                  if (err) callback(err)
                  else callback(null, decorate(res))
                }),
              (err) => {
                const se = toServiceError(err, name, this.log)
                this.audit(principal, name, rule, call, se)
                callback(se)
              },
            )
        }) as grpc.handleUnaryCall<any, any>
      }
    }
    return out
  }
}
