// SPDX-License-Identifier: Apache-2.0
// JWTs from an identity provider, verified by the real daemon against a
// JWKS served over HTTP from this test (real keys from jose), and against a
// JWKS file with other claim names: valid, expired, wrong issuer, wrong
// audience, `alg: none`, tampered, and signed by a key not in the set.
import * as grpc from '@grpc/grpc-js'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import t from 'tap'
import { startDaemon, tempDir, type Daemon } from '../helpers/daemon'
import { BELL, bearer, outcome, rpc, services, type Services } from './helpers'

// jose is ESM-only; Node 20's require loads it, as the daemon does.
const jose = require('jose') as typeof import('jose')

const ISSUER = 'https://idp.example/realms/z3bra'
const AUDIENCE = 'z3bra-agent'
const now = () => Math.floor(Date.now() / 1000)
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')

interface Setup {
  name: string
  alg: string
  /** Claims naming tenant, role and user the way this daemon is configured. */
  who: (tenant: string, roles: string[], user: string) => Record<string, unknown>
  config: (keysAt: string) => Record<string, unknown>
  served: boolean
}

const SETUPS: Setup[] = [
  {
    name: 'JWKS URL, default claims (tenant_id, realm_access.roles, sub)',
    alg: 'RS256',
    who: (tenant, roles, user) => ({ tenant_id: tenant, realm_access: { roles }, sub: user }),
    config: (url) => ({ jwt: { issuer: ISSUER, audience: AUDIENCE, jwksUrl: url } }),
    served: true,
  },
  {
    name: 'JWKS file, configured claims (org.tenant, groups, preferred_username)',
    alg: 'ES256',
    who: (tenant, roles, user) => ({ org: { tenant }, groups: roles, preferred_username: user, sub: 'f3b1-uuid' }),
    config: (file) => ({
      jwt: { issuer: ISSUER, audience: AUDIENCE, jwksFile: file, tenantClaim: 'org.tenant', roleClaim: 'groups', userClaim: 'preferred_username' },
    }),
    served: false,
  },
]

let server: http.Server
let served = ''
let jwksRequests = 0

t.before(async () => {
  server = http.createServer((req, res) => {
    jwksRequests++
    if (req.url !== '/realms/z3bra/certs') {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(served)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
})
t.teardown(() => new Promise<void>((r) => server.close(() => r())))

for (const setup of SETUPS) {
  t.test(setup.name, async (t) => {
    const { privateKey, publicKey } = await jose.generateKeyPair(setup.alg, { extractable: true })
    const stranger = await jose.generateKeyPair(setup.alg)
    const jwk = { ...(await jose.exportJWK(publicKey)), kid: 'k1', alg: setup.alg, use: 'sig' }
    const dir = tempDir()
    let keysAt: string
    if (setup.served) {
      served = JSON.stringify({ keys: [jwk] })
      keysAt = `http://127.0.0.1:${(server.address() as AddressInfo).port}/realms/z3bra/certs`
    } else {
      keysAt = path.join(dir, 'jwks.json')
      fs.writeFileSync(keysAt, JSON.stringify({ keys: [jwk] }))
    }
    const d: Daemon = await startDaemon({ dir, config: setup.config(keysAt) })
    const s: Services = services(d)
    t.teardown(async () => {
      s.close()
      await d.stop()
    })
    await rpc(s.tenants, 'CreateTenant', { tenant_id: 'acme', plan: 'enterprise' }, bearer(d.token))

    const sign = (claims: Record<string, unknown>, o: { key?: jose.CryptoKey; iss?: string; aud?: string; exp?: number } = {}) =>
      new jose.SignJWT(claims)
        .setProtectedHeader({ alg: setup.alg, kid: 'k1', typ: 'JWT' })
        .setIssuer(o.iss ?? ISSUER)
        .setAudience(o.aud ?? AUDIENCE)
        .setIssuedAt(now() - 60)
        .setExpirationTime(o.exp ?? now() + 3600)
        .sign(o.key ?? privateKey)
    const alice = setup.who('acme', ['offline_access', 'uma_authorization', 'oncologist'], 'alice')
    const call = async (token: string) => {
      const o = await outcome(rpc(s.jobs, 'SubmitJob', { source: BELL, shots: 2 }, bearer(token)))
      return o
    }

    const valid = await sign(alice)
    const ok = await rpc(s.jobs, 'SubmitJob', { source: BELL, shots: 2 }, bearer(valid))
    t.equal(ok.job.tenant_id, 'acme', 'tenant from the tenant claim')
    t.equal(ok.job.submitted_by, 'jwt:alice', 'user from the user claim, apart from the host\'s own users')
    const ev = (await rpc(s.audit, 'ListEvents', { tenant_id: 'acme', action: 'job.submit' }, bearer(d.token))).events
    t.match(ev[0], { actor_user: 'jwt:alice', actor_role: 'oncologist', actor_tenant: 'acme' }, 'role from the role claim, the first one the table knows')

    const [h, p, sig] = valid.split('.')
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString())
    const refusals: [string, string, RegExp][] = [
      ['expired', await sign(alice, { exp: now() - 3600 }), /^The JWT was refused \(ERR_JWT_EXPIRED\)/],
      ['wrong issuer', await sign(alice, { iss: 'https://evil.example/realms/z3bra' }), /^The JWT was refused \(ERR_JWT_CLAIM_VALIDATION_FAILED\): unexpected "iss" claim value/],
      ['wrong audience', await sign(alice, { aud: 'another-service' }), /^The JWT was refused \(ERR_JWT_CLAIM_VALIDATION_FAILED\): unexpected "aud" claim value/],
      ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${p}.`, /^The JWT was refused \(ERR_JOSE_ALG_NOT_ALLOWED\)/],
      ['alg none, no kid, signature kept', `${b64({ alg: 'none' })}.${p}.${sig}`, /^The JWT was refused \(ERR_JOSE_ALG_NOT_ALLOWED\)/],
      ['tampered payload', `${h}.${b64({ ...payload, ...setup.who('acme', ['system_admin', 'oncologist'], 'mallory') })}.${sig}`, /^The JWT was refused \(ERR_JWS_SIGNATURE_VERIFICATION_FAILED\)/],
      ['signed by a key not in the set', await sign(alice, { key: stranger.privateKey }), /^The JWT was refused \(ERR_JWS_SIGNATURE_VERIFICATION_FAILED\)/],
      ['no expiry', await new jose.SignJWT(alice).setProtectedHeader({ alg: setup.alg, kid: 'k1' }).setIssuer(ISSUER).setAudience(AUDIENCE).sign(privateKey), /^The JWT was refused \(ERR_JWT_CLAIM_VALIDATION_FAILED\): missing required "exp" claim/],
      ['unknown tenant', await sign(setup.who('nope', ['oncologist'], 'alice')), /^The JWT names tenant "nope", which this host does not know\.$/],
      ['no known role', await sign(setup.who('acme', ['offline_access'], 'alice')), /claim names no role this host knows\.$/],
      ['system_admin from an issuer', await sign(setup.who('acme', ['system_admin'], 'alice')), /^A JWT cannot carry the system_admin role; use an API token\.$/],
      ['a user claim with an escape', await sign(setup.who('acme', ['oncologist'], 'al\u001bice')), /claim is not a user id: 1 to 255 printable ASCII characters without spaces\.$/],
      ['a user claim of 256 characters', await sign(setup.who('acme', ['oncologist'], 'a'.repeat(256))), /claim is not a user id/],
    ]
    for (const [what, token, message] of refusals) {
      const o = await call(token)
      t.equal(o.code, grpc.status.UNAUTHENTICATED, `${what}: UNAUTHENTICATED`)
      t.equal(o.z3, 'Z3_UNAUTHENTICATED')
      t.match(o.details, message, `${what}: ${o.details}`)
    }
    const missingTenant = { ...alice }
    delete missingTenant.tenant_id
    delete (missingTenant as { org?: unknown }).org
    const o = await call(await sign(missingTenant))
    t.equal(o.code, grpc.status.UNAUTHENTICATED)
    t.equal(o.details, `The JWT has no "${setup.served ? 'tenant_id' : 'org.tenant'}" claim naming a tenant.`)
    const jobs = (await rpc(s.jobs, 'ListJobs', {}, bearer(d.token))).jobs
    t.equal(jobs.length, 1, 'only the valid token submitted anything')
    const denied = (await rpc(s.audit, 'ListEvents', { outcome: 'UNAUTHENTICATED', page_size: 1000 }, bearer(d.token))).events
    t.equal(denied.length, refusals.length + 1, 'every refusal is audited')
    if (setup.served) t.ok(jwksRequests >= 1, 'the key set was fetched from the URL')
  })
}

t.test('a JWKS file that cannot be read stops the daemon at start', async (t) => {
  const dir = tempDir()
  const file = path.join(dir, 'missing.json')
  const d = await startDaemon({ dir, config: { jwt: { issuer: ISSUER, audience: AUDIENCE, jwksFile: file } }, waitReady: false })
  t.equal(await d.exited, 2)
  t.match(d.stderr(), `z3bra-agentd: cannot set up access control: jwt.jwksFile ${file} is not a readable JSON Web Key Set: ENOENT`)
  t.same(fs.readdirSync(dir).filter((f) => f !== 'config.json'), [], 'nothing was written to the state dir')
  await d.stop()
})
