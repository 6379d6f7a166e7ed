// SPDX-License-Identifier: Apache-2.0
// Who is calling. Every call presents `authorization: Bearer <token>`; the
// authenticator turns it into a principal or refuses. API tokens are kept
// only as SHA-256 hashes. Tenants, roles and JWTs plug in behind the same
// `authenticate` seam.
import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import type { Metadata } from '@grpc/grpc-js'
import { AgentError } from './errors'
import type { Db } from './store/db'

export const SYSTEM_TENANT = 'system'
export const BOOTSTRAP_USER = 'admin'
const BOOTSTRAP_TOKEN_ID = 'bootstrap-admin'
const TOKEN_PREFIX = 'z3a_'

export interface Principal {
  userId: string
  tenantId: string
  role: string
  tokenId: string
}

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

  constructor(private readonly db: Db, private readonly now: () => number = Date.now) {
    this.byHash = db.prepare('SELECT * FROM api_tokens WHERE hash = ?')
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
    return { userId: row.user_id, tenantId: row.tenant_id, role: row.role, tokenId: row.id }
  }
}

/** Only the system tenant's admins see across tenants. */
export function seesAllTenants(p: Principal): boolean {
  return p.role === 'system_admin' && p.tenantId === SYSTEM_TENANT
}
