// SPDX-License-Identifier: Apache-2.0
// Tenants, their users and the users' API tokens, in the daemon's store.
// Scoping (who may see which tenant) is decided by the caller through
// policy.ts; this module only keeps the rows consistent.
import { randomBytes } from 'node:crypto'
import { hashToken, SYSTEM_TENANT, TOKEN_PREFIX } from '../auth'
import { AgentError } from '../errors'
import type { Db } from '../store/db'
import type { Clock } from './clock'
import { DAY_MS, effectiveLimits, isPlan, TRIAL_DAYS, type Limits, type Plan, type SubscriptionState } from './plans'
import { plainText } from '../text'

const ID_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/
const MAX_NAME_CHARS = 200
/** Longest lifetime a token may be issued with: one year. */
export const MAX_TOKEN_TTL_MS = 366 * DAY_MS

export interface TenantRow {
  id: string
  name: string
  plan: Plan
  subscription: SubscriptionState
  /** Set exactly while the subscription is a trial. */
  trial_ends_at: number | null
  hipaa_enabled: number
  /** Null until the tenant's business associate agreement is signed. */
  baa_signed_at: number | null
  limits_json: string
  status_reason: string
  created_at: number
  updated_at: number
}

export interface UserRow {
  tenant_id: string
  id: string
  display_name: string
  role: string
  created_at: number
}

export interface TokenRow {
  id: string
  user_id: string
  tenant_id: string
  role: string
  name: string
  issued_by: string
  created_at: number
  expires_at: number | null
  revoked_at: number | null
}

export interface NewTenant {
  id: string
  name?: string
  plan?: string
  hipaaEnabled?: boolean
  baaSigned?: boolean
  limits?: Partial<Limits>
}

export interface TenantUpdate {
  plan?: string
  subscription?: string
  reason?: string
  hipaaEnabled?: boolean
  baaSigned?: boolean
  limits?: Partial<Limits>
}

function checkId(kind: string, id: unknown): string {
  if (typeof id !== 'string' || !ID_RE.test(id)) {
    throw new AgentError(
      'Z3_INVALID_ARGUMENT',
      `The ${kind} id must be 1 to 64 characters of a-z, 0-9, ".", "_" or "-", starting with a letter or digit; got "${id}".`,
    )
  }
  return id
}

function checkLimits(l: Partial<Limits> | undefined): Partial<Limits> {
  const out: Partial<Limits> = {}
  for (const [k, v] of Object.entries(l ?? {})) {
    if (!['jobsPerMonth', 'users', 'storageBytes', 'jobTimeoutSeconds', 'cpusPerJob'].includes(k)) {
      throw new AgentError('Z3_INVALID_ARGUMENT', `Limit "${k}" is not one of jobsPerMonth, users, storageBytes, jobTimeoutSeconds, cpusPerJob.`)
    }
    if ((k === 'jobTimeoutSeconds' || k === 'cpusPerJob') && v === 0) {
      throw new AgentError('Z3_INVALID_ARGUMENT', `Limit ${k} must be at least 1, or unset.`)
    }
    if (v !== null && (!Number.isSafeInteger(v) || (v as number) < 0)) {
      throw new AgentError('Z3_INVALID_ARGUMENT', `Limit ${k} must be a whole number of at least 0, or unset; got ${v}.`)
    }
    ;(out as Record<string, number | null>)[k] = v as number | null
  }
  return out
}

export class Directory {
  constructor(private readonly db: Db, private readonly now: Clock) {}

  tenant(id: string): TenantRow | undefined {
    return this.db.prepare('SELECT * FROM tenants WHERE id = ?').get(id) as TenantRow | undefined
  }

  /** The tenant, or Z3_TENANT_NOT_FOUND. */
  mustTenant(id: string): TenantRow {
    const t = typeof id === 'string' && id ? this.tenant(id) : undefined
    if (!t) throw new AgentError('Z3_TENANT_NOT_FOUND', `Tenant "${id}" was not found.`)
    return t
  }

  limits(t: TenantRow): Limits {
    return effectiveLimits(t.plan, JSON.parse(t.limits_json) as Partial<Limits>)
  }

  tenants(onlyId?: string): TenantRow[] {
    if (onlyId !== undefined) return this.db.prepare('SELECT * FROM tenants WHERE id = ?').all(onlyId) as TenantRow[]
    return this.db.prepare('SELECT * FROM tenants ORDER BY id').all() as TenantRow[]
  }

  createTenant(n: NewTenant): TenantRow {
    const id = checkId('tenant', n.id)
    const plan = n.plan || 'free'
    if (!isPlan(plan)) throw new AgentError('Z3_INVALID_ARGUMENT', `Plan "${plan}" is not one of free, professional, enterprise, research, custom.`)
    plainText(n.name ?? '', 'The tenant name', MAX_NAME_CHARS)
    const t = this.now()
    const limits = checkLimits(n.limits)
    return this.db.transaction(() => {
      if (this.tenant(id)) throw new AgentError('Z3_ALREADY_EXISTS', `Tenant "${id}" already exists.`)
      // Only the free plan starts as a trial; the paid ones start active.
      const trial = plan === 'free'
      this.db
        .prepare(
          `INSERT INTO tenants (id, name, plan, subscription, trial_ends_at, hipaa_enabled, baa_signed_at, limits_json, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(id, n.name || id, plan, trial ? 'trial' : 'active', trial ? t + TRIAL_DAYS * DAY_MS : null, n.hipaaEnabled ? 1 : 0, n.baaSigned ? t : null, JSON.stringify(limits), t, t)
      return this.tenant(id)!
    }).immediate()
  }

  updateTenant(id: string, u: TenantUpdate): TenantRow {
    return this.db.transaction(() => {
      const cur = this.mustTenant(id)
      const t = this.now()
      let plan = cur.plan
      let sub = cur.subscription
      let trialEnds = cur.trial_ends_at
      if (u.plan) {
        if (!isPlan(u.plan)) throw new AgentError('Z3_INVALID_ARGUMENT', `Plan "${u.plan}" is not one of free, professional, enterprise, research, custom.`)
        plan = u.plan
        // Moving to a paid plan ends the trial; moving back to free does not
        // start a new one.
        if (plan !== 'free' && sub === 'trial') {
          sub = 'active'
          trialEnds = null
        }
      }
      if (u.subscription) {
        if (!['trial', 'active', 'suspended', 'canceled'].includes(u.subscription)) {
          throw new AgentError('Z3_INVALID_ARGUMENT', `Subscription state "${u.subscription}" is not one of trial, active, suspended, canceled.`)
        }
        if (u.subscription === 'trial' && cur.subscription !== 'trial') {
          throw new AgentError('Z3_INVALID_ARGUMENT', `Tenant "${id}" cannot go back to a trial.`)
        }
        sub = u.subscription as SubscriptionState
        if (sub !== 'trial') trialEnds = null
      }
      const limits = u.limits ? { ...JSON.parse(cur.limits_json), ...checkLimits(u.limits) } : JSON.parse(cur.limits_json)
      this.db
        .prepare(
          `UPDATE tenants SET plan = ?, subscription = ?, trial_ends_at = ?, hipaa_enabled = ?, baa_signed_at = ?,
             limits_json = ?, status_reason = ?, updated_at = ? WHERE id = ?`,
        )
        .run(
          plan,
          sub,
          trialEnds,
          u.hipaaEnabled === undefined ? cur.hipaa_enabled : u.hipaaEnabled ? 1 : 0,
          u.baaSigned === undefined ? cur.baa_signed_at : u.baaSigned ? (cur.baa_signed_at ?? t) : null,
          JSON.stringify(limits),
          u.reason ?? (sub === cur.subscription ? cur.status_reason : ''),
          t,
          id,
        )
      return this.tenant(id)!
    }).immediate()
  }

  user(tenantId: string, id: string): UserRow | undefined {
    return this.db.prepare('SELECT * FROM users WHERE tenant_id = ? AND id = ?').get(tenantId, id) as UserRow | undefined
  }

  users(tenantId: string): UserRow[] {
    return this.db.prepare('SELECT * FROM users WHERE tenant_id = ? ORDER BY id').all(tenantId) as UserRow[]
  }

  /** Adds a user, inside the plan's user limit, in one transaction. */
  addUser(tenantId: string, id: string, role: string, displayName: string, knownRoles: readonly string[]): UserRow {
    checkId('user', id)
    if (!knownRoles.includes(role)) {
      throw new AgentError('Z3_INVALID_ARGUMENT', `Role "${role}" is not in this host's role table (${knownRoles.join(', ')}).`)
    }
    plainText(displayName, 'The display name', MAX_NAME_CHARS)
    if (role === 'system_admin' && tenantId !== SYSTEM_TENANT) {
      throw new AgentError('Z3_INVALID_ARGUMENT', `Role system_admin exists only in the "${SYSTEM_TENANT}" tenant.`)
    }
    return this.db.transaction(() => {
      const t = this.mustTenant(tenantId)
      if (this.user(tenantId, id)) throw new AgentError('Z3_ALREADY_EXISTS', `User "${id}" already exists in tenant "${tenantId}".`)
      const max = this.limits(t).users
      const n = (this.db.prepare('SELECT COUNT(*) AS n FROM users WHERE tenant_id = ?').get(tenantId) as { n: number }).n
      if (max !== null && n >= max) {
        throw new AgentError(
          'Z3_QUOTA_EXCEEDED',
          `Tenant "${tenantId}" has ${n} of the ${max} users its ${t.plan} plan allows (limit users); move it to a larger plan to add more.`,
        )
      }
      this.db
        .prepare('INSERT INTO users (tenant_id, id, display_name, role, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(tenantId, id, displayName ?? '', role, this.now())
      return this.user(tenantId, id)!
    }).immediate()
  }

  /**
   * Issues a token for a user; the secret is returned here once and only
   * its SHA-256 is kept. The token carries the user's role at issue time.
   */
  issueToken(tenantId: string, userId: string, name: string, ttlMs: number, issuedBy: string): { token: string; row: TokenRow } {
    if (!Number.isSafeInteger(ttlMs) || ttlMs < 0 || ttlMs > MAX_TOKEN_TTL_MS) {
      throw new AgentError('Z3_INVALID_ARGUMENT', `ttl_seconds must be from 0 (no expiry) to ${MAX_TOKEN_TTL_MS / 1000}; got ${ttlMs / 1000}.`)
    }
    plainText(name ?? '', 'The token name', MAX_NAME_CHARS)
    const user = this.user(tenantId, userId)
    if (!user) throw new AgentError('Z3_TENANT_NOT_FOUND', `User "${userId}" was not found in tenant "${tenantId}".`)
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url')
    const id = 'tok_' + randomBytes(9).toString('base64url')
    const t = this.now()
    this.db
      .prepare(
        `INSERT INTO api_tokens (id, hash, user_id, tenant_id, role, created_at, expires_at, name, issued_by)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(id, hashToken(token), userId, tenantId, user.role, t, ttlMs > 0 ? t + ttlMs : null, name ?? '', issuedBy)
    return { token, row: this.token(id)! }
  }

  token(id: string): TokenRow | undefined {
    return this.db
      .prepare('SELECT id, user_id, tenant_id, role, name, issued_by, created_at, expires_at, revoked_at FROM api_tokens WHERE id = ?')
      .get(id) as TokenRow | undefined
  }

  tokens(tenantId: string, userId?: string): TokenRow[] {
    const cols = 'id, user_id, tenant_id, role, name, issued_by, created_at, expires_at, revoked_at'
    if (userId) {
      return this.db.prepare(`SELECT ${cols} FROM api_tokens WHERE tenant_id = ? AND user_id = ? ORDER BY created_at, id`).all(tenantId, userId) as TokenRow[]
    }
    return this.db.prepare(`SELECT ${cols} FROM api_tokens WHERE tenant_id = ? ORDER BY created_at, id`).all(tenantId) as TokenRow[]
  }

  /** Revokes a token; revoking a revoked token keeps its first revocation time. */
  revokeToken(id: string): TokenRow {
    this.db.prepare('UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?').run(this.now(), id)
    return this.token(id)!
  }
}
