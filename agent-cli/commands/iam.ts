// SPDX-License-Identifier: Apache-2.0
// Tenants, users, API tokens and usage (TenantService). Every command has a
// text form for people and a `--json` form whose fields are stable.
import { Argument, Command, InvalidArgumentError, Option } from 'commander'
import fs from 'node:fs'
import { call, CliError, type Clients } from '../client'
import { bytes, isoTime, print } from '../format'

type WithClients = <T>(cmd: Command, fn: (c: Clients) => Promise<T>) => Promise<T>
type Msg = Record<string, any>

const PLANS = ['free', 'professional', 'enterprise', 'research', 'custom']
const GIB = 1024 ** 3
/** A trial's end: still ahead, or past (the daemon then refuses the tenant's new jobs). */
function trialText(t: Msg): string {
  if (!t.trial_ends_at || t.subscription !== 'trial') return t.trial_ends_at ? `, trial ends ${t.trial_ends_at}` : ''
  return Date.parse(t.trial_ends_at) <= Date.now() ? `, trial ended ${t.trial_ends_at}: no new jobs until the plan changes` : `, trial ends ${t.trial_ends_at}`
}

/** The daemon's own bound on a token's lifetime (daemon/iam/directory.ts). */
const MAX_TTL_SECONDS = 366 * 86_400

const printJson = (v: unknown) => print(JSON.stringify(v, null, 2) + '\n')

function wholeNumber(flag: string, max = Number.MAX_SAFE_INTEGER) {
  return (v: string) => {
    if (!/^\d+$/.test(v) || Number(v) > max) throw new InvalidArgumentError(`${flag} must be a whole number from 0 to ${max}`)
    return Number(v)
  }
}

/** 3600, 90s, 15m, 12h, 30d -> seconds; 0 means no expiry. */
export function parseTtl(v: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(v)
  if (!m) throw new InvalidArgumentError('--ttl is seconds, or a number with s, m, h or d (e.g. 30d); 0 for no expiry')
  const s = Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as '' | 's' | 'm' | 'h' | 'd']
  if (s > MAX_TTL_SECONDS) throw new InvalidArgumentError(`--ttl is at most 366d (${MAX_TTL_SECONDS} seconds)`)
  return s
}

function onOff(flag: string) {
  return (v: string) => {
    if (v !== 'on' && v !== 'off') throw new InvalidArgumentError(`${flag} is on or off`)
    return v === 'on'
  }
}

function month(v: string): string {
  const m = /^(\d{4})-(\d{2})$/.exec(v)
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) throw new InvalidArgumentError('--month is YYYY-MM, e.g. 2026-03')
  return v
}

function limitOptions(c: Command): Command {
  return c
    .option('--jobs-per-month <n>', "override the plan's monthly job limit", wholeNumber('--jobs-per-month'))
    .option('--users <n>', "override the plan's user limit", wholeNumber('--users'))
    .option('--storage-gb <n>', "override the plan's storage limit, GiB", wholeNumber('--storage-gb', 1024 * 1024))
    .option('--job-timeout <seconds>', "longest one of the tenant's jobs may run (the host's jobTimeoutMs when unset)", wholeNumber('--job-timeout'))
    .option('--cpus-per-job <n>', 'most CPUs one of the tenant\'s jobs may get (the host\'s bound when unset)', wholeNumber('--cpus-per-job'))
}

function overrides(o: Msg): Msg | undefined {
  const out: Msg = {}
  if (o.jobsPerMonth !== undefined) out.jobs_per_month = String(o.jobsPerMonth)
  if (o.users !== undefined) out.users = String(o.users)
  if (o.storageGb !== undefined) out.storage_bytes = String(o.storageGb * GIB)
  if (o.jobTimeout !== undefined) out.job_timeout_seconds = String(o.jobTimeout)
  if (o.cpusPerJob !== undefined) out.cpus_per_job = String(o.cpusPerJob)
  return Object.keys(out).length ? out : undefined
}

function limitsJson(l: Msg | null | undefined): Msg {
  const n = (v: unknown) => (v === undefined || v === null ? null : Number(v))
  return { jobs_per_month: n(l?.jobs_per_month), users: n(l?.users), storage_bytes: n(l?.storage_bytes), job_timeout_seconds: n(l?.job_timeout_seconds), cpus_per_job: n(l?.cpus_per_job) }
}

export function tenantJson(t: Msg): Msg {
  return {
    tenant_id: t.tenant_id,
    name: t.name,
    plan: t.plan,
    subscription: t.subscription,
    status_reason: t.status_reason || null,
    trial_ends_at: isoTime(t.trial_ends_at),
    hipaa_enabled: t.hipaa_enabled,
    baa_signed_at: isoTime(t.baa_signed_at),
    limits: limitsJson(t.limits),
    overrides: Object.fromEntries(Object.entries(limitsJson(t.overrides)).filter(([, v]) => v !== null)),
    created_at: isoTime(t.created_at),
    updated_at: isoTime(t.updated_at),
  }
}

function limitsText(l: Msg): string {
  const j = l.jobs_per_month === null ? 'unlimited jobs/month' : `${l.jobs_per_month} jobs/month`
  const u = l.users === null ? 'unlimited users' : `${l.users} users`
  const s = l.storage_bytes === null ? 'unlimited storage' : `${bytes(l.storage_bytes)} storage`
  const t = l.job_timeout_seconds === null ? "the host's job timeout" : `jobs stopped after ${l.job_timeout_seconds} s`
  const c = l.cpus_per_job === null ? '' : `, at most ${l.cpus_per_job} CPUs a job`
  return `${j}, ${u}, ${s}, ${t}${c}`
}

function tenantText(m: Msg): string {
  const t = tenantJson(m)
  const ov = Object.entries(t.overrides as Msg).map(([k, v]) => `${k}=${v}`)
  const rows: [string, string | null][] = [
    ['Name', t.name],
    ['Plan', t.plan],
    ['Status', `${t.subscription}${t.status_reason ? ` (${t.status_reason})` : ''}${trialText(t)}`],
    ['HIPAA', `${t.hipaa_enabled ? 'enabled' : 'not enabled'}, BAA ${t.baa_signed_at ? `signed ${t.baa_signed_at}` : 'not signed'}`],
    ['Limits', limitsText(t.limits)],
    ['Overrides', ov.length ? ov.join(', ') : null],
    ['Created', t.created_at],
    ['Updated', t.updated_at],
  ]
  const out = [`tenant ${t.tenant_id}`]
  for (const [k, v] of rows) if (v) out.push(`${k.padStart(10)}: ${v}`)
  return out.join('\n') + '\n'
}

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  return [head, ...rows].map((r) => r.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd()).join('\n') + '\n'
}

function userJson(u: Msg): Msg {
  return { tenant_id: u.tenant_id, user_id: u.user_id, role: u.role, display_name: u.display_name, created_at: isoTime(u.created_at) }
}

function tokenJson(t: Msg): Msg {
  return {
    token_id: t.token_id,
    tenant_id: t.tenant_id,
    user_id: t.user_id,
    role: t.role,
    name: t.name,
    issued_by: t.issued_by,
    created_at: isoTime(t.created_at),
    expires_at: isoTime(t.expires_at),
    revoked_at: isoTime(t.revoked_at),
  }
}

export function usageJson(u: Msg): Msg {
  return {
    tenant_id: u.tenant_id,
    month: u.month,
    plan: u.plan,
    period_start: isoTime(u.period_start),
    period_end: isoTime(u.period_end),
    jobs: Number(u.jobs),
    shots: Number(u.shots),
    cpu_seconds: u.cpu_seconds,
    qpu_seconds: u.qpu_seconds,
    result_bytes: Number(u.result_bytes),
    storage_bytes: Number(u.storage_bytes),
    limits: limitsJson(u.limits),
  }
}

function usageText(m: Msg): string {
  const u = usageJson(m)
  const of = (used: number, max: number | null, fmt = (n: number) => String(n)) => (max === null ? `${fmt(used)} (unlimited)` : `${fmt(used)} of ${fmt(max)}`)
  const rows: [string, string][] = [
    ['Plan', u.plan],
    ['Period', `${u.period_start} to ${u.period_end}`],
    ['Jobs', of(u.jobs, u.limits.jobs_per_month)],
    ['Shots', String(u.shots)],
    ['CPU', `${u.cpu_seconds.toFixed(3)} s`],
    ['QPU', `${u.qpu_seconds.toFixed(3)} s`],
    ['Results', bytes(u.result_bytes)],
    ['Storage', of(u.storage_bytes, u.limits.storage_bytes, bytes)],
  ]
  return [`usage of tenant ${u.tenant_id} in ${u.month}`, ...rows.map(([k, v]) => `${k.padStart(10)}: ${v}`)].join('\n') + '\n'
}

export function registerIamCommands(program: Command, withClients: WithClients): void {
  const tenant = program.command('tenant').description('tenants: create, list, show, set-plan, suspend, resume, set')
  const showTenant = (t: Msg, json: boolean) => (json ? printJson(tenantJson(t)) : print(tenantText(t)))

  limitOptions(
    tenant
      .command('create')
      .description('create a tenant (free-plan tenants start a 14-day trial)')
      .argument('<id>', 'tenant id: 1 to 64 of a-z, 0-9, ".", "_", "-"')
      .option('--name <name>', 'display name (default: the id)', '')
      .addOption(new Option('--plan <plan>', 'plan').choices(PLANS).default('free'))
      .option('--hipaa', 'HIPAA enabled', false)
      .option('--baa', 'the business associate agreement is signed', false),
  )
    .option('--json', 'machine-readable output')
    .action(async (id: string, o, cmd) =>
      withClients(cmd, async (c) => {
        const req = { tenant_id: id, name: o.name, plan: o.plan, hipaa_enabled: o.hipaa, baa_signed: o.baa, overrides: overrides(o) }
        showTenant(await call(c.tenants, 'CreateTenant', req, c.md), o.json)
      }),
    )

  tenant
    .command('list')
    .description('tenants you may see (every tenant for system_admin)')
    .option('--json', 'machine-readable output')
    .action(async (o, cmd) =>
      withClients(cmd, async (c) => {
        const ts = (await call<Msg>(c.tenants, 'ListTenants', {}, c.md)).tenants as Msg[]
        if (o.json) return printJson(ts.map(tenantJson))
        const rows = ts.map(tenantJson).map((t) => [
          t.tenant_id,
          t.plan,
          t.subscription + (t.trial_ends_at ? ` until ${t.trial_ends_at.slice(0, 10)}` : ''),
          t.hipaa_enabled ? (t.baa_signed_at ? 'HIPAA+BAA' : 'HIPAA') : '-',
          t.name,
        ])
        print(table(['TENANT', 'PLAN', 'STATUS', 'PHI', 'NAME'], rows))
      }),
    )

  tenant
    .command('show')
    .description("one tenant's plan, subscription, HIPAA settings and limits")
    .argument('[id]', 'tenant id (default: your own)')
    .option('--json', 'machine-readable output')
    .action(async (id: string | undefined, o, cmd) =>
      withClients(cmd, async (c) => showTenant(await call(c.tenants, 'GetTenant', { tenant_id: id ?? '' }, c.md), o.json)),
    )

  limitOptions(
    tenant
      .command('set-plan')
      .description("change a tenant's plan (leaving a trial makes it active)")
      .argument('<id>', 'tenant id')
      .addArgument(new Argument('<plan>', 'the new plan').choices(PLANS)),
  )
    .option('--json', 'machine-readable output')
    .action(async (id: string, plan: string, o, cmd) =>
      withClients(cmd, async (c) => showTenant(await call(c.tenants, 'UpdateTenant', { tenant_id: id, plan, overrides: overrides(o) }, c.md), o.json)),
    )

  tenant
    .command('suspend')
    .description('suspend a tenant: it takes no new jobs until resumed')
    .argument('<id>', 'tenant id')
    .requiredOption('--reason <text>', 'why (shown to the tenant when it is refused)')
    .option('--json', 'machine-readable output')
    .action(async (id: string, o, cmd) =>
      withClients(cmd, async (c) =>
        showTenant(await call(c.tenants, 'UpdateTenant', { tenant_id: id, subscription: 'suspended', reason: o.reason }, c.md), o.json),
      ),
    )

  tenant
    .command('resume')
    .description('make a suspended or canceled tenant active again')
    .argument('<id>', 'tenant id')
    .option('--reason <text>', 'why, for the record', '')
    .option('--json', 'machine-readable output')
    .action(async (id: string, o, cmd) =>
      withClients(cmd, async (c) =>
        showTenant(await call(c.tenants, 'UpdateTenant', { tenant_id: id, subscription: 'active', reason: o.reason }, c.md), o.json),
      ),
    )

  limitOptions(
    tenant
      .command('set')
      .description("change a tenant's HIPAA setting, BAA and limit overrides")
      .argument('<id>', 'tenant id')
      .option('--hipaa <on|off>', 'HIPAA enabled', onOff('--hipaa'))
      .option('--baa <on|off>', 'the business associate agreement is signed', onOff('--baa')),
  )
    .option('--json', 'machine-readable output')
    .action(async (id: string, o, cmd) => {
      const req: Msg = { tenant_id: id, overrides: overrides(o) }
      if (o.hipaa !== undefined) req.hipaa_enabled = o.hipaa
      if (o.baa !== undefined) req.baa_signed = o.baa
      if (o.hipaa === undefined && o.baa === undefined && !req.overrides) {
        throw new CliError('tenant set: give at least one of --hipaa, --baa, --jobs-per-month, --users, --storage-gb', 2)
      }
      await withClients(cmd, async (c) => showTenant(await call(c.tenants, 'UpdateTenant', req, c.md), o.json))
    })

  const user = program.command('user').description("a tenant's users: add, list")
  user
    .command('add')
    .description('add a user with a role from the role table')
    .argument('<user>', 'user id')
    .requiredOption('--role <role>', 'role, e.g. oncologist (docs/iam.md)')
    .option('--tenant <id>', 'tenant (default: your own)', '')
    .option('--name <name>', 'display name', '')
    .option('--json', 'machine-readable output')
    .action(async (id: string, o, cmd) =>
      withClients(cmd, async (c) => {
        const u = userJson(await call(c.tenants, 'AddUser', { tenant_id: o.tenant, user_id: id, role: o.role, display_name: o.name }, c.md))
        if (o.json) printJson(u)
        else print(`added user ${u.user_id} to tenant ${u.tenant_id} as ${u.role}\n`)
      }),
    )
  user
    .command('list')
    .description("a tenant's users and their roles")
    .option('--tenant <id>', 'tenant (default: your own)', '')
    .option('--json', 'machine-readable output')
    .action(async (o, cmd) =>
      withClients(cmd, async (c) => {
        const us = ((await call<Msg>(c.tenants, 'ListUsers', { tenant_id: o.tenant }, c.md)).users as Msg[]).map(userJson)
        if (o.json) printJson(us)
        else print(table(['USER', 'ROLE', 'CREATED', 'NAME'], us.map((u) => [u.user_id, u.role, u.created_at ?? '-', u.display_name])))
      }),
    )

  const token = program.command('token').description('API tokens: issue, list, revoke')
  token
    .command('issue')
    .description("issue an API token for a user, with the user's role; the secret is shown only this once")
    .argument('<user>', 'user id')
    .option('--tenant <id>', 'tenant (default: your own)', '')
    .option('--name <name>', 'a label, e.g. the machine that will use it', '')
    .option('--ttl <duration>', 'lifetime: seconds, or 90s, 15m, 12h, 30d; 0 never expires', parseTtl, 0)
    .option('--out <file>', 'write the secret to this new file (mode 0600) instead of standard output')
    .option('--json', 'machine-readable output')
    .action(async (id: string, o, cmd) =>
      withClients(cmd, async (c) => {
        if (o.out && fs.existsSync(o.out)) throw new CliError(`--out ${o.out} exists; the token is written only to a new file`, 2)
        const res = await call<Msg>(c.tenants, 'IssueToken', { tenant_id: o.tenant, user_id: id, name: o.name, ttl_seconds: String(o.ttl) }, c.md)
        const info = tokenJson(res.info)
        if (o.out) fs.writeFileSync(o.out, res.token + '\n', { mode: 0o600, flag: 'wx' })
        if (o.json) return printJson({ ...info, token: o.out ? null : res.token, token_file: o.out ?? null })
        print(
          `issued token ${info.token_id} for ${info.tenant_id}/${info.user_id} (${info.role}), ${info.expires_at ? `expires ${info.expires_at}` : 'no expiry'}\n`,
        )
        if (o.out) print(`the secret is in ${o.out}; it is not shown again\n`)
        else print(`${res.token}\nkeep it now: the host keeps only its hash and cannot show it again\n`)
      }),
    )
  token
    .command('list')
    .description("a tenant's tokens (never their secrets)")
    .option('--tenant <id>', 'tenant (default: your own)', '')
    .option('--user <id>', "only this user's tokens", '')
    .option('--json', 'machine-readable output')
    .action(async (o, cmd) =>
      withClients(cmd, async (c) => {
        const ts = ((await call<Msg>(c.tenants, 'ListTokens', { tenant_id: o.tenant, user_id: o.user }, c.md)).tokens as Msg[]).map(tokenJson)
        if (o.json) return printJson(ts)
        const state = (t: Msg) =>
          t.revoked_at ? `revoked ${t.revoked_at}` : !t.expires_at ? 'no expiry' : Date.parse(t.expires_at) <= Date.now() ? `expired ${t.expires_at}` : `expires ${t.expires_at}`
        print(table(['TOKEN', 'USER', 'ROLE', 'STATE', 'NAME'], ts.map((t) => [t.token_id, t.user_id, t.role, state(t), t.name])))
      }),
    )
  token
    .command('revoke')
    .description('revoke a token at once (revoking twice keeps the first time)')
    .argument('<token-id>', 'the token id, tok_...')
    .option('--tenant <id>', 'tenant (default: your own)', '')
    .option('--json', 'machine-readable output')
    .action(async (id: string, o, cmd) =>
      withClients(cmd, async (c) => {
        const t = tokenJson(await call(c.tenants, 'RevokeToken', { tenant_id: o.tenant, token_id: id }, c.md))
        if (o.json) printJson(t)
        else print(`token ${t.token_id} of ${t.tenant_id}/${t.user_id} revoked at ${t.revoked_at}\n`)
      }),
    )

  program
    .command('usage')
    .description("a tenant's usage in a UTC calendar month, against its plan's limits")
    .argument('[tenant]', 'tenant id (default: your own)')
    .option('--month <YYYY-MM>', 'the month (default: the current one)', month)
    .option('--json', 'machine-readable output')
    .action(async (id: string | undefined, o, cmd) =>
      withClients(cmd, async (c) => {
        const u = await call<Msg>(c.tenants, 'GetUsage', { tenant_id: id ?? '', month: o.month ?? '' }, c.md)
        if (o.json) printJson(usageJson(u))
        else print(usageText(u))
      }),
    )
}
