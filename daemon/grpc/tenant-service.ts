// SPDX-License-Identifier: Apache-2.0
// TenantService: adapts wire requests to the IAM directory and quotas. The
// guard has already checked that the role may ever do the method; here each
// target is scoped: another tenant is NOT_FOUND unless the caller crosses
// tenants, and conditions of the permission are checked against it.
import type * as grpc from '@grpc/grpc-js'
import type { EventEmitter } from 'node:events'
import type { Principal } from '../auth'
import { AgentError } from '../errors'
import type { TenantRow, TokenRow, UserRow } from '../iam/directory'
import type { Iam } from '../iam/iam'
import type { Limits } from '../iam/plans'
import { allows, reaches, whyNotGrantable } from '../iam/policy'
import type { Action, Resource } from '../iam/roles'
import { timestamp } from './convert'
import { serverStream, unary, type HandlerContext } from './handlers'
import type { JobRow } from '../store/jobs'

type Req = Record<string, any>

function limitsMessage(l: Partial<Limits>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  if (l.jobsPerMonth !== undefined && l.jobsPerMonth !== null) out.jobs_per_month = String(l.jobsPerMonth)
  if (l.users !== undefined && l.users !== null) out.users = String(l.users)
  if (l.storageBytes !== undefined && l.storageBytes !== null) out.storage_bytes = String(l.storageBytes)
  if (l.jobTimeoutSeconds !== undefined && l.jobTimeoutSeconds !== null) out.job_timeout_seconds = String(l.jobTimeoutSeconds)
  if (l.cpusPerJob !== undefined && l.cpusPerJob !== null) out.cpus_per_job = String(l.cpusPerJob)
  return out
}

function limitsFrom(m: Record<string, any> | null | undefined): Partial<Limits> | undefined {
  if (!m) return undefined
  const out: Partial<Limits> = {}
  // proto3 optional fields come back as a oneof: present exactly when set.
  if (m._jobs_per_month) out.jobsPerMonth = Number(m.jobs_per_month)
  if (m._users) out.users = Number(m.users)
  if (m._storage_bytes) out.storageBytes = Number(m.storage_bytes)
  if (m._job_timeout_seconds) out.jobTimeoutSeconds = Number(m.job_timeout_seconds)
  if (m._cpus_per_job) out.cpusPerJob = Number(m.cpus_per_job)
  return Object.keys(out).length ? out : undefined
}

export function tenantMessage(iam: Iam, t: TenantRow): Record<string, unknown> {
  return {
    tenant_id: t.id,
    name: t.name,
    plan: t.plan,
    subscription: t.subscription,
    trial_ends_at: timestamp(t.trial_ends_at),
    hipaa_enabled: t.hipaa_enabled === 1,
    baa_signed_at: timestamp(t.baa_signed_at),
    limits: limitsMessage(iam.directory.limits(t)),
    overrides: limitsMessage(JSON.parse(t.limits_json)),
    status_reason: t.status_reason,
    created_at: timestamp(t.created_at),
    updated_at: timestamp(t.updated_at),
  }
}

function userMessage(u: UserRow): Record<string, unknown> {
  return { tenant_id: u.tenant_id, user_id: u.id, display_name: u.display_name, role: u.role, created_at: timestamp(u.created_at) }
}

function tokenMessage(t: TokenRow): Record<string, unknown> {
  return {
    token_id: t.id,
    tenant_id: t.tenant_id,
    user_id: t.user_id,
    role: t.role,
    name: t.name,
    issued_by: t.issued_by,
    created_at: timestamp(t.created_at),
    expires_at: timestamp(t.expires_at),
    revoked_at: timestamp(t.revoked_at),
  }
}

export function tenantService(ctx: HandlerContext, iam: Iam, jobs: EventEmitter): grpc.UntypedServiceImplementation {
  const dir = iam.directory

  /** One tenant's usage of a month as the wire message; a bad month is INVALID_ARGUMENT. */
  const usageMessage = (t: TenantRow, month: string | undefined): Record<string, unknown> => {
    let u
    try {
      u = iam.quotas.usage(t.id, month || undefined)
    } catch (err) {
      if (err instanceof RangeError) throw new AgentError('Z3_INVALID_ARGUMENT', `month must be YYYY-MM; got "${month}".`)
      throw err
    }
    return {
      tenant_id: u.tenantId,
      month: u.month,
      period_start: timestamp(u.periodStart),
      period_end: timestamp(u.periodEnd),
      jobs: String(u.jobs),
      shots: String(u.shots),
      cpu_seconds: u.cpuSeconds,
      qpu_seconds: u.qpuSeconds,
      result_bytes: String(u.resultBytes),
      storage_bytes: String(u.storageBytes),
      limits: limitsMessage(iam.directory.limits(t)),
      plan: t.plan,
    }
  }

  /** The tenant a request is about, scoped to the caller, with the permission checked. */
  const scoped = (p: Principal, tenantId: unknown, resource: Resource, action: Action): TenantRow => {
    const id = typeof tenantId === 'string' && tenantId ? tenantId : p.tenantId
    if (!reaches(p, id)) throw new AgentError('Z3_TENANT_NOT_FOUND', `Tenant "${id}" was not found.`)
    const t = dir.mustTenant(id)
    if (!allows(p, resource, action, { tenantId: id })) {
      throw new AgentError('Z3_PERMISSION_DENIED', `Role ${p.role} may not ${action} ${resource} in tenant "${id}".`)
    }
    return t
  }

  return {
    CreateTenant: unary<Req, unknown>(ctx, 'CreateTenant', (p, r) => {
      const t = dir.createTenant({
        id: r.tenant_id,
        name: r.name,
        plan: r.plan,
        hipaaEnabled: r.hipaa_enabled,
        baaSigned: r.baa_signed,
        limits: limitsFrom(r.overrides),
      })
      void p
      return tenantMessage(iam, t)
    }),

    GetTenant: unary<Req, unknown>(ctx, 'GetTenant', (p, r) => tenantMessage(iam, scoped(p, r.tenant_id, 'tenant', 'read'))),

    ListTenants: unary<Req, unknown>(ctx, 'ListTenants', (p) => {
      const rows = dir.tenants(p.crossTenant ? undefined : p.tenantId)
      return { tenants: rows.filter((t) => allows(p, 'tenant', 'read', { tenantId: t.id })).map((t) => tenantMessage(iam, t)) }
    }),

    UpdateTenant: unary<Req, unknown>(ctx, 'UpdateTenant', (p, r) => {
      const t = scoped(p, r.tenant_id, 'subscription', 'update')
      const updated = dir.updateTenant(t.id, {
        plan: r.plan || undefined,
        subscription: r.subscription || undefined,
        reason: r.reason || undefined,
        hipaaEnabled: r._hipaa_enabled ? r.hipaa_enabled : undefined,
        baaSigned: r._baa_signed ? r.baa_signed : undefined,
        limits: limitsFrom(r.overrides),
      })
      return tenantMessage(iam, updated)
    }),

    AddUser: unary<Req, unknown>(ctx, 'AddUser', (p, r) => {
      const t = scoped(p, r.tenant_id, 'user', 'create')
      const role = iam.roles[r.role]
      const why = role ? whyNotGrantable(p, r.role, role) : null
      if (why) throw new AgentError('Z3_PERMISSION_DENIED', `Role ${p.role} may not add a user with role ${r.role}: ${why}.`)
      return userMessage(dir.addUser(t.id, r.user_id, r.role, r.display_name, iam.roleNames))
    }),

    ListUsers: unary<Req, unknown>(ctx, 'ListUsers', (p, r) => {
      const t = scoped(p, r.tenant_id, 'user', 'read')
      return { users: dir.users(t.id).map(userMessage) }
    }),

    IssueToken: unary<Req, unknown>(ctx, 'IssueToken', (p, r) => {
      const t = scoped(p, r.tenant_id, 'token', 'create')
      // A token carries its user's role: for anyone but the caller, that
      // role may hold nothing the caller's does not.
      const target = dir.user(t.id, r.user_id)
      if (target && !(t.id === p.tenantId && target.id === p.userId)) {
        const role = iam.roles[target.role]
        const why = role ? whyNotGrantable(p, target.role, role) : `role ${target.role} is not in this host's role table`
        if (why) throw new AgentError('Z3_PERMISSION_DENIED', `Role ${p.role} may not issue a token for user "${r.user_id}": ${why}.`)
      }
      const ttlMs = Number(r.ttl_seconds ?? 0) * 1000
      const out = dir.issueToken(t.id, r.user_id, r.name, ttlMs, `${p.tenantId}/${p.userId}`)
      return { info: tokenMessage(out.row), token: out.token }
    }),

    ListTokens: unary<Req, unknown>(ctx, 'ListTokens', (p, r) => {
      const t = scoped(p, r.tenant_id, 'token', 'read')
      return { tokens: dir.tokens(t.id, r.user_id || undefined).map(tokenMessage) }
    }),

    RevokeToken: unary<Req, unknown>(ctx, 'RevokeToken', (p, r) => {
      const t = scoped(p, r.tenant_id, 'token', 'delete')
      const tok = typeof r.token_id === 'string' && r.token_id ? dir.token(r.token_id) : undefined
      if (!tok || tok.tenant_id !== t.id) {
        throw new AgentError('Z3_TENANT_NOT_FOUND', `Token "${r.token_id}" was not found in tenant "${t.id}".`)
      }
      return tokenMessage(dir.revokeToken(tok.id))
    }),

    GetUsage: unary<Req, unknown>(ctx, 'GetUsage', (p, r) => usageMessage(scoped(p, r.tenant_id, 'usage', 'read'), r.month)),

    StreamUsage: serverStream<Req, unknown>(ctx, 'StreamUsage', (p, call) => {
      const r = call.request
      const every = r.tenant_id === '*'
      if (every && !p.crossTenant) {
        throw new AgentError('Z3_PERMISSION_DENIED', `Only system_admin reads the usage of every tenant; role ${p.role} may name its own tenant only.`)
      }
      const month: string = r.month || iam.quotas.period()
      const first = every
        ? dir.tenants().filter((t) => allows(p, 'usage', 'read', { tenantId: t.id }))
        : [scoped(p, r.tenant_id, 'usage', 'read')]
      // Validates the month before anything is sent.
      const sent = new Map<string, string>()
      const send = (t: TenantRow) => {
        const m = usageMessage(t, month)
        const key = JSON.stringify(m)
        if (sent.get(t.id) === key) return
        sent.set(t.id, key)
        call.write(m)
      }
      const snapshot = first.map((t) => [t, usageMessage(t, month)] as const)
      for (const [t, m] of snapshot) {
        sent.set(t.id, JSON.stringify(m))
        call.write(m)
      }
      if (!r.follow) {
        call.end()
        return
      }
      const onJob = (j: JobRow) => {
        if (!every && j.tenant_id !== first[0].id) return
        const t = dir.tenant(j.tenant_id)
        if (!t) return
        try {
          send(t)
        } catch (err) {
          ctx.log.error({ err, tenant_id: t.id }, 'usage stream update failed')
        }
      }
      jobs.on('job', onJob)
      const stop = () => jobs.off('job', onJob)
      call.on('cancelled', stop)
      call.on('close', stop)
      call.on('error', stop)
    }),
  }
}
