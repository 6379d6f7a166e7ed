// SPDX-License-Identifier: Apache-2.0
// The audit chain's arithmetic, shared by the daemon and the offline
// verifier: the canonical form of an event, its hash, the signed head, and
// the walk that recomputes all of it and names the first broken event.
import { createHash, verify as edVerify, type KeyObject } from 'node:crypto'
import type { Db } from '../store/db'

export const GENESIS_HASH = '0'.repeat(64)

export interface AuditEventRow {
  seq: number
  time: number
  tenant_id: string
  actor_user: string
  actor_role: string
  actor_tenant: string
  action: string
  resource: string
  resource_id: string
  outcome: string
  code: string
  peer: string
  details: string
  prev_hash: string
  hash: string
}

export interface AuditHeadRow {
  seq: number
  event_seq: number
  hash: string
  key_id: string
  signature: string
  reason: string
  time: number
}

/**
 * A JSON array in a fixed field order: no key ordering to agree on, and the
 * sequence number and previous hash are inside what is hashed, so a row
 * cannot move or be re-linked without its hash changing.
 */
export function canonical(e: Omit<AuditEventRow, 'hash'>): string {
  return JSON.stringify([
    'z3bra-audit-v1',
    e.seq,
    e.time,
    e.tenant_id,
    e.actor_user,
    e.actor_role,
    e.actor_tenant,
    e.action,
    e.resource,
    e.resource_id,
    e.outcome,
    e.code,
    e.peer,
    e.details,
    e.prev_hash,
  ])
}

export function eventHash(e: Omit<AuditEventRow, 'hash'>): string {
  return createHash('sha256').update(canonical(e), 'utf8').digest('hex')
}

/** The bytes a head signature covers. */
export function headMessage(eventSeq: number, hash: string): Buffer {
  return Buffer.from(`z3bra-audit-head-v1:${eventSeq}:${hash}`, 'utf8')
}

export function keyId(pub: KeyObject): string {
  return createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16)
}

export interface VerifyReport {
  ok: boolean
  events: number
  heads: number
  /** Seq of the last event a valid signature covers; 0 when none. */
  signedThrough: number
  /** The first broken event (or, for a truncation, the first missing one); 0 when ok. */
  firstBrokenSeq: number
  problem: string
}

/** A head remembered outside the database (the head file), if any. */
export interface ExternalHead {
  event_seq: number
  hash: string
  signature: string
}

/** Recomputes the whole chain and every head signature. */
export function verifyChain(db: Db, pub: KeyObject, external?: ExternalHead): VerifyReport {
  const kid = keyId(pub)
  const report = (firstBrokenSeq: number, problem: string, events: number, heads: number, signedThrough: number): VerifyReport => ({
    ok: firstBrokenSeq === 0,
    events,
    heads,
    signedThrough,
    firstBrokenSeq,
    problem,
  })
  let prevHash = GENESIS_HASH
  let expected = 1
  let count = 0
  const hashes = new Map<number, string>()
  for (const e of db.prepare('SELECT * FROM audit_events ORDER BY seq').iterate() as IterableIterator<AuditEventRow>) {
    if (e.seq !== expected) {
      return report(expected, `event ${expected} is missing: event ${e.seq} follows event ${expected - 1}`, count, 0, 0)
    }
    if (e.prev_hash !== prevHash) {
      return report(e.seq, `event ${e.seq} does not link to event ${e.seq - 1} (its prev_hash differs)`, count, 0, 0)
    }
    const { hash: stored, ...rest } = e
    if (eventHash(rest) !== stored) {
      return report(e.seq, `event ${e.seq} was altered: its contents no longer match its hash`, count, 0, 0)
    }
    hashes.set(e.seq, stored)
    prevHash = stored
    expected++
    count++
  }
  const last = expected - 1
  let signedThrough = 0
  let headCount = 0
  const checkHead = (h: ExternalHead, what: string): VerifyReport | null => {
    if (h.event_seq > last) {
      return report(last + 1, `the log was truncated: ${what} covers event ${h.event_seq}, but the chain ends at event ${last}`, count, headCount, signedThrough)
    }
    const sigOk = edVerify(null, headMessage(h.event_seq, h.hash), pub, Buffer.from(h.signature, 'base64'))
    if (!sigOk) return report(h.event_seq, `${what} over event ${h.event_seq} has a signature that does not verify with this host's key`, count, headCount, signedThrough)
    if (hashes.get(h.event_seq) !== h.hash) {
      return report(h.event_seq, `event ${h.event_seq} differs from what ${what} signed: the chain was rewritten somewhere in events ${signedThrough + 1} to ${h.event_seq}`, count, headCount, signedThrough)
    }
    signedThrough = Math.max(signedThrough, h.event_seq)
    return null
  }
  for (const h of db.prepare('SELECT * FROM audit_heads ORDER BY seq').iterate() as IterableIterator<AuditHeadRow>) {
    if (h.key_id !== kid) {
      return report(h.event_seq, `signed head ${h.seq} names key ${h.key_id}, not this host's key ${kid}`, count, headCount, signedThrough)
    }
    const bad = checkHead(h, `signed head ${h.seq}`)
    if (bad) return bad
    headCount++
  }
  if (external) {
    const bad = checkHead(external, 'the head file')
    if (bad) return bad
  }
  // Events cut from the chain's end together with their heads and the head
  // file leave a chain that checks; the jobs they recorded still stand in
  // the store. Every job admitted since the chain began has its job.submit
  // event (filed in the insert's own transaction).
  const began = (db.prepare('SELECT MIN(time) AS t FROM audit_events').get() as { t: number | null }).t ?? 0
  const orphan = db
    .prepare("SELECT id FROM jobs WHERE created_at >= ? AND id NOT IN (SELECT resource_id FROM audit_events WHERE action = 'job.submit') ORDER BY seq LIMIT 1")
    .get(began) as { id: string } | undefined
  if (orphan) {
    return report(last + 1, `job ${orphan.id} has no job.submit event: events were removed from the end of the chain`, count, headCount, signedThrough)
  }
  return report(0, '', count, headCount, signedThrough)
}
