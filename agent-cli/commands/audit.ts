// SPDX-License-Identifier: Apache-2.0
// The audit chain (AuditService): list events, verify the chain. `verify`
// asks the daemon, or with --state-dir reads a store directly, so a host
// whose daemon is stopped (or will not start) can be checked too.
import { Command, InvalidArgumentError } from 'commander'
import { createPrivateKey, createPublicKey } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { keyId, verifyChain, type VerifyReport } from '../../daemon/audit/chain'
import { readHeadFile } from '../../daemon/audit/log'
import { call, CliError, type Clients } from '../client'
import { isoTime, print } from '../format'

type WithClients = <T>(cmd: Command, fn: (c: Clients) => Promise<T>) => Promise<T>
type Msg = Record<string, any>

const printJson = (v: unknown) => print(JSON.stringify(v, null, 2) + '\n')

function limit(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 1_000_000) throw new InvalidArgumentError('--limit must be a whole number from 1 to 1000000')
  return Number(v)
}

function eventJson(e: Msg): Msg {
  let details: unknown = e.details_json
  try {
    details = JSON.parse(e.details_json)
  } catch {
    // Shown as stored.
  }
  return {
    seq: Number(e.seq),
    time: isoTime(e.time),
    tenant_id: e.tenant_id,
    actor: { user_id: e.actor_user, role: e.actor_role, tenant_id: e.actor_tenant, peer: e.peer },
    action: e.action,
    resource: e.resource,
    resource_id: e.resource_id,
    outcome: e.outcome,
    code: e.code || null,
    details,
    prev_hash: e.prev_hash,
    hash: e.hash,
  }
}

interface Verdict {
  ok: boolean
  events: number
  signed_heads: number
  signed_through_seq: number
  first_broken_seq: number
  problem: string
  key_id: string
}

/** Verifies a store on disk with the key in the same state dir (or --key-file). */
function verifyOffline(stateDir: string, keyFile?: string): Verdict {
  const dbFile = path.join(stateDir, 'agent.db')
  const keyPath = keyFile ?? path.join(stateDir, 'audit-ed25519.key')
  if (!fs.existsSync(dbFile)) throw new CliError(`no store at ${dbFile}`, 2)
  let pub
  try {
    const pem = fs.readFileSync(keyPath)
    pub = /PRIVATE KEY/.test(pem.toString('utf8')) ? createPublicKey(createPrivateKey(pem)) : createPublicKey(pem)
  } catch (err) {
    throw new CliError(`cannot read the audit key ${keyPath}: ${(err as Error).message} (use --key-file)`, 2)
  }
  // Loaded here only: the online commands need no native module.
  const Database = require('better-sqlite3') as typeof import('better-sqlite3')
  const db = new Database(dbFile, { readonly: true, fileMustExist: true })
  try {
    let head
    let r: VerifyReport
    try {
      head = readHeadFile(path.join(stateDir, 'audit.head'))
      r = verifyChain(db, pub, head)
    } catch (err) {
      r = { ok: false, events: 0, heads: 0, signedThrough: 0, firstBrokenSeq: 0, problem: `the head file is unreadable: ${(err as Error).message}` }
    }
    return {
      ok: r.ok,
      events: r.events,
      signed_heads: r.heads,
      signed_through_seq: r.signedThrough,
      first_broken_seq: r.firstBrokenSeq,
      problem: r.problem,
      key_id: keyId(pub),
    }
  } finally {
    db.close()
  }
}

function verdictText(v: Verdict): string {
  if (v.ok) {
    return `audit chain intact: ${v.events} events, ${v.signed_heads} signed heads, signed through event ${v.signed_through_seq} (key ${v.key_id})\n`
  }
  const at = v.first_broken_seq ? `first broken event: ${v.first_broken_seq}\n` : ''
  return `audit chain BROKEN: ${v.problem}\n${at}`
}

export function registerAuditCommands(program: Command, withClients: WithClients): void {
  const audit = program.command('audit').description('the hash-chained audit log: list, verify')
  audit
    .command('list')
    .description('audit events, oldest first (your tenant; every tenant for system_admin)')
    .option('--tenant <id>', "only this tenant's events", '')
    .option('--action <name>', 'only this action, e.g. job.submit or TenantService.UpdateTenant', '')
    .option('--outcome <name>', 'only this outcome: ok, PERMISSION_DENIED, NOT_FOUND, ...', '')
    .option('--after <seq>', 'only events after this sequence number', '0')
    .option('--limit <n>', 'at most this many', limit, 100)
    .option('--json', 'machine-readable output')
    .action(async (o, cmd) => {
      if (!/^\d+$/.test(o.after)) throw new CliError('--after must be a whole number', 2)
      await withClients(cmd, async (c) => {
        const out: Msg[] = []
        let token = Number(o.after) > 0 ? Buffer.from(`a${Number(o.after)}`).toString('base64url') : ''
        do {
          const page = await call<Msg>(
            c.audit,
            'ListEvents',
            { tenant_id: o.tenant, action: o.action, outcome: o.outcome, page_size: Math.min(1000, o.limit - out.length), page_token: token },
            c.md,
          )
          out.push(...(page.events as Msg[]).map(eventJson))
          token = page.next_page_token
        } while (token && out.length < o.limit)
        if (o.json) return printJson(out)
        for (const e of out) {
          const who = `${e.actor.tenant_id}/${e.actor.user_id}${e.actor.role ? ` (${e.actor.role})` : ''}`
          const what = `${e.action}${e.resource_id ? ` ${e.resource_id}` : ''}`
          print(`${String(e.seq).padStart(6)}  ${e.time}  ${e.tenant_id.padEnd(12)}  ${who}  ${what}  ${e.outcome}${e.code ? ` ${e.code}` : ''}\n`)
        }
      })
    })
  audit
    .command('verify')
    .description('recompute the whole chain and every signed head; name the first broken event (exit 1 if broken)')
    .option('--state-dir <dir>', "verify the store in this state dir directly, without the daemon")
    .option('--key-file <file>', 'the audit key (private or public PEM) for --state-dir; default <dir>/audit-ed25519.key')
    .option('--json', 'machine-readable output')
    .action(async (o, cmd) => {
      let v: Verdict
      if (o.stateDir) {
        v = verifyOffline(path.resolve(o.stateDir), o.keyFile)
      } else {
        if (o.keyFile) throw new CliError('--key-file goes with --state-dir', 2)
        const r = await withClients(cmd, (c) => call<Msg>(c.audit, 'VerifyChain', {}, c.md))
        v = {
          ok: r.ok,
          events: Number(r.events),
          signed_heads: Number(r.signed_heads),
          signed_through_seq: Number(r.signed_through_seq),
          first_broken_seq: Number(r.first_broken_seq),
          problem: r.problem,
          key_id: r.key_id,
        }
      }
      if (o.json) printJson(v)
      else print(verdictText(v))
      if (!v.ok) process.exitCode = 1
    })
}
