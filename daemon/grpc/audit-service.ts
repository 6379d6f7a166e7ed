// SPDX-License-Identifier: Apache-2.0
// AuditService: reads and verifies the audit chain. Events are scoped to
// the caller's tenant; system_admin reads every tenant's, or one by id.
import type * as grpc from '@grpc/grpc-js'
import { keyId } from '../audit/chain'
import type { AuditLog } from '../audit/log'
import { AgentError } from '../errors'
import { reaches } from '../iam/policy'
import { timestamp } from './convert'
import { unary, type HandlerContext } from './handlers'

type Req = Record<string, any>

const MAX_PAGE_SIZE = 1000
const DEFAULT_PAGE_SIZE = 100

export function auditService(ctx: HandlerContext, audit: AuditLog, publicKey: Parameters<typeof keyId>[0]): grpc.UntypedServiceImplementation {
  return {
    ListEvents: unary<Req, unknown>(ctx, 'ListEvents', (p, r) => {
      const wanted = typeof r.tenant_id === 'string' && r.tenant_id ? r.tenant_id : undefined
      if (wanted && !reaches(p, wanted)) throw new AgentError('Z3_TENANT_NOT_FOUND', `Tenant "${wanted}" was not found.`)
      const size = r.page_size === 0 || r.page_size === undefined ? DEFAULT_PAGE_SIZE : r.page_size
      if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
        throw new AgentError('Z3_INVALID_ARGUMENT', `page_size must be from 1 to ${MAX_PAGE_SIZE}; got ${r.page_size}.`)
      }
      let afterSeq: number | undefined
      if (r.page_token) {
        const m = /^a(\d+)$/.exec(Buffer.from(r.page_token, 'base64url').toString('utf8'))
        if (!m) throw new AgentError('Z3_INVALID_ARGUMENT', 'page_token is not one ListEvents handed out.')
        afterSeq = Number(m[1])
      }
      const rows = audit.list({
        tenantId: wanted ?? (p.crossTenant ? undefined : p.tenantId),
        action: r.action || undefined,
        outcome: r.outcome || undefined,
        afterSeq,
        limit: size + 1,
      })
      const page = rows.slice(0, size)
      return {
        events: page.map((e) => ({
          seq: String(e.seq),
          time: timestamp(e.time),
          tenant_id: e.tenant_id,
          actor_user: e.actor_user,
          actor_role: e.actor_role,
          actor_tenant: e.actor_tenant,
          action: e.action,
          resource: e.resource,
          resource_id: e.resource_id,
          outcome: e.outcome,
          code: e.code,
          peer: e.peer,
          details_json: e.details,
          prev_hash: e.prev_hash,
          hash: e.hash,
        })),
        next_page_token: rows.length > size ? Buffer.from(`a${page[page.length - 1].seq}`).toString('base64url') : '',
      }
    }),

    VerifyChain: unary<Req, unknown>(ctx, 'VerifyChain', () => {
      const v = audit.verify()
      return {
        ok: v.ok,
        events: String(v.events),
        signed_heads: String(v.heads),
        signed_through_seq: String(v.signedThrough),
        first_broken_seq: String(v.firstBrokenSeq),
        problem: v.problem,
        key_id: keyId(publicKey),
      }
    }),
  }
}
