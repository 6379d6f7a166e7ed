// SPDX-License-Identifier: Apache-2.0
// Audit tampering the way an attacker with file access would do it: the
// daemon stopped, the store copied, the append-only triggers dropped with
// the sqlite3 CLI, rows edited, deleted or cut off the end. `z3bra-agent
// audit verify` must catch each and name the first broken event, both
// reading the store directly and through a daemon restarted on it.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { eventHash, type AuditEventRow } from '../../daemon/audit/chain'
import { cli, startDaemon, tempDir, type Daemon } from '../helpers/daemon'
import { BELL, bearer, rpc, services, waitState } from './helpers'

const pristine = tempDir()
let last = 0

const sql = (dir: string, text: string) => execFileSync('sqlite3', [path.join(dir, 'agent.db'), text], { encoding: 'utf8', stdio: 'pipe' })
const asAttacker = (dir: string, text: string) =>
  sql(
    dir,
    `DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;
     DROP TRIGGER audit_heads_no_update; DROP TRIGGER audit_heads_no_delete;
     ${text}
     CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
     CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
     CREATE TRIGGER audit_heads_no_update BEFORE UPDATE ON audit_heads BEGIN SELECT RAISE(ABORT, 'audit_heads is append-only'); END;
     CREATE TRIGGER audit_heads_no_delete BEFORE DELETE ON audit_heads BEGIN SELECT RAISE(ABORT, 'audit_heads is append-only'); END;`,
  )

function copy(): string {
  const dir = tempDir()
  fs.cpSync(pristine, dir, { recursive: true })
  return dir
}

const offline = async (dir: string) => {
  const r = await cli({ socket: path.join(dir, 'none.sock'), tokenFile: path.join(dir, 'admin.token') }, ['audit', 'verify', '--state-dir', dir, '--json'])
  return { code: r.code, v: JSON.parse(r.stdout || '{}'), stderr: r.stderr }
}

async function online(dir: string): Promise<{ code: number; v: any; text: string }> {
  const d: Daemon = await startDaemon({ dir, config: { auditSignEvery: 5 } })
  try {
    const j = await cli(d, ['audit', 'verify', '--json'])
    const text = await cli(d, ['audit', 'verify'])
    return { code: j.code, v: JSON.parse(j.stdout), text: text.stdout }
  } finally {
    await d.stop()
  }
}

t.before(async () => {
  const d = await startDaemon({ dir: pristine, config: { auditSignEvery: 5 } })
  const s = services(d)
  const admin = bearer(d.token)
  for (const id of ['a', 'b', 'c', 'd', 'e']) await rpc(s.tenants, 'CreateTenant', { tenant_id: `t-${id}`, plan: 'professional' }, admin)
  const j = (await rpc(s.jobs, 'SubmitJob', { source: BELL, shots: 2 }, admin)).job
  await waitState(s, admin, j.job_id, ['SUCCEEDED'])
  await rpc(s.tenants, 'UpdateTenant', { tenant_id: 't-b', subscription: 'suspended', reason: 'audit test' }, admin)
  s.close()
  await d.stop()
  last = Number(sql(pristine, 'SELECT MAX(seq) FROM audit_events').trim())
})

t.test('an untouched store verifies, offline and through the daemon', async (t) => {
  t.ok(last >= 10, `${last} events`)
  t.equal(Number(sql(pristine, 'SELECT MAX(event_seq) FROM audit_heads').trim()), last, 'the shutdown signed the head')
  const off = await offline(pristine)
  t.equal(off.code, 0, off.stderr)
  t.match(off.v, { ok: true, events: last, signed_through_seq: last, first_broken_seq: 0 })
  const on = await online(copy())
  t.equal(on.code, 0)
  t.equal(on.v.ok, true)
  t.match(on.text, /^audit chain intact: \d+ events/)
})

t.test('the schema refuses UPDATE and DELETE of audit rows', async (t) => {
  const dir = copy()
  for (const stmt of ["UPDATE audit_events SET outcome = 'x' WHERE seq = 2", 'DELETE FROM audit_events WHERE seq = 2', 'DELETE FROM audit_heads']) {
    let err = ''
    try {
      sql(dir, stmt)
    } catch (e) {
      err = String((e as { stderr?: string }).stderr)
    }
    t.match(err, /is append-only/, stmt)
  }
  t.equal((await offline(dir)).v.ok, true, 'and nothing changed')
})

t.test('an edited event is named', async (t) => {
  const dir = copy()
  asAttacker(dir, "UPDATE audit_events SET outcome = 'PERMISSION_DENIED' WHERE seq = 4;")
  const off = await offline(dir)
  t.equal(off.code, 1)
  t.match(off.v, { ok: false, first_broken_seq: 4, problem: 'event 4 was altered: its contents no longer match its hash' })
  const on = await online(dir)
  t.equal(on.code, 1)
  t.match(on.v, { ok: false, first_broken_seq: 4 })
  t.equal(on.text, 'audit chain BROKEN: event 4 was altered: its contents no longer match its hash\nfirst broken event: 4\n')
})

t.test('a deleted event is named', async (t) => {
  const dir = copy()
  asAttacker(dir, 'DELETE FROM audit_events WHERE seq = 6;')
  const off = await offline(dir)
  t.equal(off.code, 1)
  t.match(off.v, { ok: false, first_broken_seq: 6, problem: 'event 6 is missing: event 7 follows event 5' })
  const on = await online(dir)
  t.match(on.v, { ok: false, first_broken_seq: 6, problem: 'event 6 is missing: event 7 follows event 5' })
})

t.test('a truncated log is named, even with its signed heads deleted too', async (t) => {
  const dir = copy()
  const cut = last - 3
  asAttacker(dir, `DELETE FROM audit_events WHERE seq >= ${cut}; DELETE FROM audit_heads WHERE event_seq >= ${cut};`)
  const off = await offline(dir)
  t.equal(off.code, 1)
  t.match(off.v, {
    ok: false,
    first_broken_seq: cut,
    problem: `the log was truncated: the head file covers event ${last}, but the chain ends at event ${cut - 1}`,
  })
  // A daemon started on it goes on past the cut instead of re-using its
  // numbers, so the gap stays visible.
  const on = await online(dir)
  t.equal(on.code, 1)
  t.match(on.v, { ok: false, first_broken_seq: cut, problem: `event ${cut} is missing: event ${last + 1} follows event ${cut - 1}` })
})

t.test('a tail cut with its heads and the head file is caught by the jobs it recorded', async (t) => {
  const dir = copy()
  // Everything from the job's submit on: events, heads, and the head file.
  const submit = Number(sql(dir, "SELECT seq FROM audit_events WHERE action = 'job.submit'").trim())
  const job = sql(dir, 'SELECT id FROM jobs').trim()
  asAttacker(dir, `DELETE FROM audit_events WHERE seq >= ${submit}; DELETE FROM audit_heads WHERE event_seq >= ${submit};`)
  fs.rmSync(path.join(dir, 'audit.head'))
  const off = await offline(dir)
  t.equal(off.code, 1)
  t.match(off.v, { ok: false, first_broken_seq: submit, problem: `job ${job} has no job.submit event: events were removed from the end of the chain` })
})

t.test('a rewritten chain with recomputed hashes is caught by the signed heads', async (t) => {
  const dir = copy()
  const rows = JSON.parse(execFileSync('sqlite3', ['-json', path.join(dir, 'agent.db'), 'SELECT * FROM audit_events ORDER BY seq'], { encoding: 'utf8' })) as AuditEventRow[]
  // Edit event 3 and re-link every later event, as an attacker without the
  // host key can.
  let prev = rows[1].hash
  const updates: string[] = []
  for (const r of rows.slice(2)) {
    const row = { ...r, prev_hash: prev }
    if (r.seq === 3) row.outcome = 'ok-forged'
    const { hash: _old, ...rest } = row
    const h = eventHash(rest)
    updates.push(`UPDATE audit_events SET outcome = '${row.outcome}', prev_hash = '${row.prev_hash}', hash = '${h}' WHERE seq = ${r.seq};`)
    prev = h
  }
  asAttacker(dir, updates.join('\n'))
  const off = await offline(dir)
  t.equal(off.code, 1)
  t.match(off.v, { ok: false, first_broken_seq: 5, problem: 'event 5 differs from what signed head 1 signed: the chain was rewritten somewhere in events 1 to 5' })
})
