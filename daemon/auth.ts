// SPDX-License-Identifier: Apache-2.0
// Who is calling. Every call presents `authorization: Bearer <token>`; the
// authenticator turns it into a principal or refuses. API tokens are kept
// only as SHA-256 hashes. Tenants, roles and JWTs plug in behind the same
// `authenticate` seam: `resolve` (async, for JWTs) runs first in the IAM
// guard and leaves the principal for the synchronous `authenticate` that the
// service handlers call.
import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import type { Metadata } from '@grpc/grpc-js'
import { AgentError } from './errors'
import type { JwtVerifier } from './iam/jwt'
import type { Permission, RoleTable } from './iam/roles'
import type { Db } from './store/db'

export const SYSTEM_TENANT = 'system'
export const BOOTSTRAP_USER = 'admin'
const BOOTSTRAP_TOKEN_ID = 'bootstrap-admin'
export const TOKEN_PREFIX = 'z3a_'

export interface Principal {
  userId: string
  tenantId: string
  role: string
  /** The API token's id; for a JWT, `jwt:` and its `jti` (or subject). */
  tokenId: string
  via: 'token' | 'jwt'
  /** The role's permissions from the role table; empty for a role it lacks. */
  grants: readonly Permission[]
  phiAccess: boolean
  /** True exactly for system_admin of the system tenant. */
  crossTenant: boolean
  /** The caller's address as grpc-js reports it; '' outside a call. */
  peer: string
}

export interface AuthOptions {
  roles: RoleTable
  jwt?: JwtVerifier
}

// Three base64url segments: a compact JWS. API tokens carry our prefix.
const JWT_RE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

export function bearerFrom(md: Metadata): string | undefined {
  const v = md.get('authorization')[0]
  if (typeof v !== 'string') return undefined
  const m = /^Bearer\s+(\S+)\s*$/i.exec(v)
  return m?.[1]
}

export class Authenticator {
  private readonly byHash
  /** Principals resolved by `resolve` for calls still being handled. */
  private readonly resolved = new WeakMap<Metadata, Principal>()

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
    private readonly opts: AuthOptions,
  ) {
    this.byHash = db.prepare('SELECT * FROM api_tokens WHERE hash = ?')
  }

  get roles(): RoleTable {
    return this.opts.roles
  }

  /** A principal for a user in a tenant with a role, as the role table grants it. */
  principal(userId: string, tenantId: string, role: string, tokenId: string, via: Principal['via'], peer: string): Principal {
    const r = Object.hasOwn(this.opts.roles, role) ? this.opts.roles[role] : undefined
    return {
      userId,
      tenantId,
      role,
      tokenId,
      via,
      grants: r?.permissions ?? [],
      phiAccess: r?.phi_access ?? false,
      crossTenant: (r?.cross_tenant ?? false) && role === 'system_admin' && tenantId === SYSTEM_TENANT,
      peer,
    }
  }

  /**
   * Authenticates a call (API token or JWT) and remembers the principal for
   * the handler's `authenticate` on the same metadata.
   */
  async resolve(md: Metadata, peer: string): Promise<Principal> {
    const token = bearerFrom(md)
    let p: Principal
    if (token && !token.startsWith(TOKEN_PREFIX) && JWT_RE.test(token)) {
      if (!this.opts.jwt) {
        throw new AgentError('Z3_UNAUTHENTICATED', 'The bearer token is a JWT, but this host has no JWT issuer configured.')
      }
      const c = await this.opts.jwt.verify(token)
      const tenant = this.db.prepare('SELECT id FROM tenants WHERE id = ?').get(c.tenantId)
      if (!tenant) throw new AgentError('Z3_UNAUTHENTICATED', `The JWT names tenant "${c.tenantId}", which this host does not know.`)
      p = this.principal(c.userId, c.tenantId, c.role, c.tokenId, 'jwt', peer)
    } else {
      p = this.fromToken(md, peer)
    }
    this.resolved.set(md, p)
    return p
  }

  /**
   * Reads the bootstrap admin token from `file`, creating it (mode 0600) on
   * first start, and makes sure the store knows its hash.
   */
  ensureBootstrapToken(file: string): string {
    let token: string
    if (fs.existsSync(file)) {
      token = fs.readFileSync(file, 'utf8').trim()
      if (!token.startsWith(TOKEN_PREFIX)) {
        throw new Error(`the admin token file ${file} does not hold a z3bra token; remove it to have a new one made`)
      }
    } else {
      token = TOKEN_PREFIX + randomBytes(32).toString('base64url')
      // wx: never overwrite a token another process just wrote.
      fs.writeFileSync(file, token + '\n', { mode: 0o600, flag: 'wx' })
    }
    fs.chmodSync(file, 0o600)
    const hash = hashToken(token)
    this.db
      .prepare(
        `INSERT INTO api_tokens (id, hash, user_id, tenant_id, role, created_at) VALUES (?, ?, ?, ?, 'system_admin', ?)
         ON CONFLICT (id) DO UPDATE SET hash = excluded.hash, revoked_at = NULL`,
      )
      .run(BOOTSTRAP_TOKEN_ID, hash, BOOTSTRAP_USER, SYSTEM_TENANT, this.now())
    return token
  }

  authenticate(md: Metadata): Principal {
    return this.resolved.get(md) ?? this.fromToken(md, '')
  }

  private fromToken(md: Metadata, peer: string): Principal {
    const token = bearerFrom(md)
    if (!token) {
      throw new AgentError('Z3_UNAUTHENTICATED', 'The call carries no "authorization: Bearer <token>" metadata.')
    }
    const row = this.byHash.get(hashToken(token)) as
      | { id: string; user_id: string; tenant_id: string; role: string; expires_at: number | null; revoked_at: number | null }
      | undefined
    if (!row || row.revoked_at !== null || (row.expires_at !== null && row.expires_at <= this.now())) {
      throw new AgentError('Z3_UNAUTHENTICATED', 'The bearer token is not valid on this host (unknown, revoked or expired).')
    }
    return this.principal(row.user_id, row.tenant_id, row.role, row.id, 'token', peer)
  }
}

/** Only the system tenant's admins see across tenants. */
export function seesAllTenants(p: Principal): boolean {
  return p.crossTenant
}
