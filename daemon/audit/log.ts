// SPDX-License-Identifier: Apache-2.0
// The append-only audit log. Each event is linked to the one before by
// hash; every `signEvery` events, and at shutdown, the head is signed with
// the host key and also written to the head file outside the database, so
// cutting events off the end is caught even when the heads table is cut too.
import { sign as edSign } from 'node:crypto'
import fs from 'node:fs'
import type { Db } from '../store/db'
import { eventHash, GENESIS_HASH, headMessage, keyId, verifyChain, type AuditEventRow, type AuditHeadRow, type ExternalHead, type VerifyReport } from './chain'
import type { AuditKey } from './key'

export interface AuditInput {
  /** The tenant the event concerns (the target's, else the caller's). */
  tenantId: string
  actor: { userId: string; role: string; tenantId: string; peer?: string }
  action: string
  resource: string
  resourceId?: string
  /** 'ok', or the gRPC status name of the refusal. */
  outcome: string
  code?: string
  details?: Record<string, unknown>
}

export interface AuditFilter {
  tenantId?: string
  action?: string
  outcome?: string
  afterSeq?: number
  limit: number
}

export const SYSTEM_ACTOR = { userId: 'z3bra-agentd', role: 'system', tenantId: 'system' }

export function readHeadFile(file: string): ExternalHead | undefined {
  if (!fs.existsSync(file)) return undefined
  return JSON.parse(fs.readFileSync(file, 'utf8')) as ExternalHead
}

export class AuditLog {
  private readonly lastStmt
  private readonly insertStmt
  private readonly kid: string

  constructor(
    private readonly db: Db,
    private readonly key: AuditKey,
    private readonly headFile: string,
    private readonly signEvery: number,
    private readonly now: () => number = Date.now,
  ) {
    this.lastStmt = db.prepare('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1')
    this.insertStmt = db.prepare(`
      INSERT INTO audit_events (seq, time, tenant_id, actor_user, actor_role, actor_tenant, action, resource,
        resource_id, outcome, code, peer, details, prev_hash, hash)
      VALUES (@seq, @time, @tenant_id, @actor_user, @actor_role, @actor_tenant, @action, @resource,
        @resource_id, @outcome, @code, @peer, @details, @prev_hash, @hash)`)
    this.kid = keyId(key.publicKey)
    // The newest head ever signed, from the heads table or the head file,
    // whichever is further on.
    const inDb = db.prepare('SELECT event_seq, hash FROM audit_heads ORDER BY event_seq DESC LIMIT 1').get() as
      | { event_seq: number; hash: string }
      | undefined
    let ext: ExternalHead | undefined
    try {
      ext = readHeadFile(headFile)
    } catch {
      // An unreadable head file is reported by verify; it cannot raise the floor.
    }
    for (const h of [inDb, ext]) {
      if (h && Number.isSafeInteger(h.event_seq) && typeof h.hash === 'string' && h.event_seq > (this.signed?.seq ?? 0)) {
        this.signed = { seq: h.event_seq, hash: h.hash }
      }
    }
  }

  /** The newest signed head; events are never numbered at or below it again. */
  private signed: { seq: number; hash: string } | undefined

  /**
   * Where the next event links on: the last event, or the newest signed
   * head when the events stop short of it. After a truncation the chain so
   * goes on past the cut, leaving a gap that verify names, instead of
   * re-using the cut-off numbers and hiding where the cut was.
   */
  private tail(): { seq: number; hash: string } | undefined {
    const last = this.lastStmt.get() as { seq: number; hash: string } | undefined
    if (this.signed && (!last || last.seq < this.signed.seq)) return this.signed
    return last
  }

  /**
   * Appends one event and returns its seq. Runs in its own immediate
   * transaction, or inside the caller's (as a savepoint), so that an event
   * can commit together with the change it records.
   */
  append(e: AuditInput): number {
    return this.db.transaction(() => {
      const last = this.tail()
      const row: Omit<AuditEventRow, 'hash'> = {
        seq: (last?.seq ?? 0) + 1,
        time: this.now(),
        tenant_id: e.tenantId,
        actor_user: e.actor.userId,
        actor_role: e.actor.role,
        actor_tenant: e.actor.tenantId,
        action: e.action,
        resource: e.resource,
        resource_id: e.resourceId ?? '',
        outcome: e.outcome,
        code: e.code ?? '',
        peer: e.actor.peer ?? '',
        details: JSON.stringify(e.details ?? {}),
        prev_hash: last?.hash ?? GENESIS_HASH,
      }
      const hash = eventHash(row)
      this.insertStmt.run({ ...row, hash })
      if (row.seq % this.signEvery === 0) this.signAt(row.seq, hash, 'interval')
      return row.seq
    }).immediate()
  }

  /** Signs the current head unless the last signature already covers it. */
  signHead(reason: string): AuditHeadRow | undefined {
    return this.db.transaction(() => {
      const last = this.lastStmt.get() as { seq: number; hash: string } | undefined
      if (!last) return undefined
      const head = this.db.prepare('SELECT * FROM audit_heads ORDER BY seq DESC LIMIT 1').get() as AuditHeadRow | undefined
      if (head && head.event_seq === last.seq) return head
      return this.signAt(last.seq, last.hash, reason)
    }).immediate()
  }

  private signAt(seq: number, hash: string, reason: string): AuditHeadRow {
    const signature = edSign(null, headMessage(seq, hash), this.key.privateKey).toString('base64')
    this.signed = { seq, hash }
    const info = this.db
      .prepare('INSERT INTO audit_heads (event_seq, hash, key_id, signature, reason, time) VALUES (?, ?, ?, ?, ?, ?)')
      .run(seq, hash, this.kid, signature, reason, this.now())
    // Written through a rename, so a reader never sees half a head.
    const tmp = `${this.headFile}.tmp`
    fs.writeFileSync(tmp, JSON.stringify({ event_seq: seq, hash, signature, key_id: this.kid }) + '\n', { mode: 0o600 })
    fs.renameSync(tmp, this.headFile)
    return this.db.prepare('SELECT * FROM audit_heads WHERE seq = ?').get(info.lastInsertRowid) as AuditHeadRow
  }

  list(f: AuditFilter): AuditEventRow[] {
    const where: string[] = []
    const args: unknown[] = []
    if (f.tenantId !== undefined) {
      where.push('tenant_id = ?')
      args.push(f.tenantId)
    }
    if (f.action) {
      where.push('action = ?')
      args.push(f.action)
    }
    if (f.outcome) {
      where.push('outcome = ?')
      args.push(f.outcome)
    }
    if (f.afterSeq !== undefined) {
      where.push('seq > ?')
      args.push(f.afterSeq)
    }
    const sql = `SELECT * FROM audit_events ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY seq LIMIT ?`
    return this.db.prepare(sql).all(...args, f.limit) as AuditEventRow[]
  }

  verify(): VerifyReport {
    let head: ExternalHead | undefined
    try {
      head = readHeadFile(this.headFile)
    } catch (err) {
      return { ok: false, events: 0, heads: 0, signedThrough: 0, firstBrokenSeq: 0, problem: `the head file ${this.headFile} is unreadable: ${(err as Error).message}` }
    }
    return verifyChain(this.db, this.key.publicKey, head)
  }
}
