// SPDX-License-Identifier: Apache-2.0
// JWTs from the platform's identity provider (a Keycloak realm or any OIDC
// issuer), verified with jose against a JWKS: a URL (fetched, cached and
// refreshed on an unknown key id) or a file for hosts that must not depend
// on the issuer being reachable. Issuer, audience, expiry and algorithm are
// all checked; `alg: none` can never pass because the accepted algorithms
// are an explicit list of signature algorithms.
import fs from 'node:fs'
import type * as Jose from 'jose'
import { AgentError } from '../errors'
import type { Clock } from './clock'

// A user claim becomes part of job records and audit events: plain and bounded.
const MAX_JWT_USER_CHARS = 255
const JWT_USER_RE = new RegExp(`^[\\x21-\\x7e]{1,${MAX_JWT_USER_CHARS}}$`)

export interface JwtConfig {
  issuer: string
  audience: string
  jwksUrl?: string
  jwksFile?: string
  algorithms: string[]
  /** Dotted path of the tenant claim. */
  tenantClaim: string
  /** Dotted path of the claim holding the role, or a list of roles. */
  roleClaim: string
  /** Dotted path of the user id claim. */
  userClaim: string
  cacheMaxAgeMs: number
  clockToleranceSec: number
}

export interface JwtIdentity {
  userId: string
  tenantId: string
  role: string
  tokenId: string
}

function claim(payload: Record<string, unknown>, dotted: string): unknown {
  let v: unknown = payload
  for (const k of dotted.split('.')) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<string, unknown>)[k]
  }
  return v
}

export class JwtVerifier {
  private readonly jose: typeof Jose
  private readonly keys: Jose.JWTVerifyGetKey

  constructor(
    private readonly c: JwtConfig,
    private readonly roleNames: readonly string[],
    private readonly now: Clock,
  ) {
    // jose is ESM-only; Node 20.19+ loads it through require. It is loaded
    // only on hosts that configure JWTs.
    this.jose = require('jose') as typeof Jose
    if (c.jwksFile) {
      let set: Jose.JSONWebKeySet
      try {
        set = JSON.parse(fs.readFileSync(c.jwksFile, 'utf8')) as Jose.JSONWebKeySet
        this.keys = this.jose.createLocalJWKSet(set)
      } catch (err) {
        throw new Error(`jwt.jwksFile ${c.jwksFile} is not a readable JSON Web Key Set: ${(err as Error).message}`)
      }
    } else {
      this.keys = this.jose.createRemoteJWKSet(new URL(c.jwksUrl!), { cacheMaxAge: c.cacheMaxAgeMs, timeoutDuration: 5_000 })
    }
  }

  async verify(token: string): Promise<JwtIdentity> {
    let payload: Jose.JWTPayload
    try {
      ;({ payload } = await this.jose.jwtVerify(token, this.keys, {
        issuer: this.c.issuer,
        audience: this.c.audience,
        algorithms: this.c.algorithms,
        clockTolerance: this.c.clockToleranceSec,
        currentDate: new Date(this.now()),
        requiredClaims: ['exp'],
      }))
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'ERR_JWT_INVALID'
      throw new AgentError('Z3_UNAUTHENTICATED', `The JWT was refused (${code}): ${(err as Error).message}.`)
    }
    const tenant = claim(payload, this.c.tenantClaim)
    const user = claim(payload, this.c.userClaim)
    const roleValue = claim(payload, this.c.roleClaim)
    if (typeof tenant !== 'string' || !tenant) {
      throw new AgentError('Z3_UNAUTHENTICATED', `The JWT has no "${this.c.tenantClaim}" claim naming a tenant.`)
    }
    if (typeof user !== 'string' || !user) {
      throw new AgentError('Z3_UNAUTHENTICATED', `The JWT has no "${this.c.userClaim}" claim naming a user.`)
    }
    if (!JWT_USER_RE.test(user)) {
      throw new AgentError(
        'Z3_UNAUTHENTICATED',
        `The JWT's "${this.c.userClaim}" claim is not a user id: 1 to ${MAX_JWT_USER_CHARS} printable ASCII characters without spaces.`,
      )
    }
    // A realm usually hands out several roles (and some of its own, such as
    // offline_access); the first of ours, in role-table order, is the one.
    const offered = Array.isArray(roleValue) ? roleValue : [roleValue]
    const role = this.roleNames.find((r) => offered.includes(r))
    if (!role) {
      throw new AgentError('Z3_UNAUTHENTICATED', `The JWT's "${this.c.roleClaim}" claim names no role this host knows.`)
    }
    if (role === 'system_admin') {
      // The system tenant's admin is a local identity; an issuer cannot mint one.
      throw new AgentError('Z3_UNAUTHENTICATED', 'A JWT cannot carry the system_admin role; use an API token.')
    }
    // "jwt:" keeps the issuer's users apart from the host's own (whose ids
    // never hold a colon): a JWT "dev" is not the API-token user "dev", for
    // "own jobs" conditions and in the audit log alike.
    return { userId: `jwt:${user}`, tenantId: tenant, role, tokenId: `jwt:${payload.jti ?? user}` }
  }
}
