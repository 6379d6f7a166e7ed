// SPDX-License-Identifier: Apache-2.0
// The daemon's configuration: embedded defaults, then an optional JSON file,
// then command-line flags. Validated once at start-up and frozen; every
// problem found is reported together.
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { z } from 'zod'

const DEFAULT_SHUTDOWN_GRACE_MS = 30_000
const DEFAULT_MEMORY_FRACTION = 0.8

const configSchema = z
  .object({
    stateDir: z.string().min(1),
    socket: z.string().min(1).optional(),
    adminTokenFile: z.string().min(1).optional(),
    listen: z
      .string()
      .regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, 'expected HOST:PORT')
      .optional(),
    tlsCert: z.string().optional(),
    tlsKey: z.string().optional(),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    shutdownGraceMs: z.number().int().min(0).max(3_600_000).default(DEFAULT_SHUTDOWN_GRACE_MS),
    /** Largest statevector admitted, bytes; unset: a fraction of MemAvailable at start. */
    memoryLimitBytes: z.number().int().positive().optional(),
    memoryLimitFraction: z.number().gt(0).max(1).default(DEFAULT_MEMORY_FRACTION),
    limits: z
      .object({
        maxQubits: z.number().int().min(1).max(40).default(34),
        maxShots: z.number().int().min(1).max(100_000_000).default(1_000_000),
        maxSourceBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(4 * 1024 * 1024),
        maxOps: z.number().int().min(1).max(50_000_000).default(5_000_000),
      })
      .strict()
      .default({ maxQubits: 34, maxShots: 1_000_000, maxSourceBytes: 4 * 1024 * 1024, maxOps: 5_000_000 }),
    /** CPUs jobs may run on; unset: every CPU in the daemon's own affinity mask. */
    cpus: z.array(z.number().int().min(0).max(4095)).min(1).optional(),
    /** CPUs kept for the OS and the daemon, never given to a job. */
    reservedCpus: z.array(z.number().int().min(0).max(4095)).default([]),
    /** Give jobs whole physical cores only (every hyper-thread sibling). */
    wholeCores: z.boolean().default(false),
    /** Most CPUs one job may get; 0: as many as one NUMA node has. */
    maxCpusPerJob: z.number().int().min(0).max(4096).default(0),
    // At most 24 days: a Node timer cannot wait longer.
    jobTimeoutMs: z.number().int().min(1000).max(24 * 24 * 3_600_000).default(24 * 3_600_000),
    /** Half-life of the CPU-seconds that fair share weighs. */
    fairShareHalfLifeMs: z.number().int().min(1000).default(3_600_000),
    /** Fair-share weight by plan; a plan not named weighs 1. */
    planWeights: z
      .record(z.enum(['free', 'professional', 'enterprise', 'research', 'custom']), z.number().positive())
      .default({ free: 1, professional: 2, enterprise: 4, research: 2, custom: 2 }),
    /** Fair-share weight per tenant id, over its plan's weight. */
    tenantWeights: z.record(z.string(), z.number().positive()).default({}),
    /** How long a blocked head job lets later jobs start past it. */
    backfillLimitMs: z.number().int().min(0).default(60_000),
    /**
     * A cpuset per job: "auto" uses a delegated cgroup v2 subtree, else a
     * writable legacy cpuset hierarchy, else affinity alone; "off" uses
     * affinity alone (docs/ARCHITECTURE.md, "Placement").
     */
    cpusets: z.enum(['auto', 'off']).default('auto'),
    /** Where cgroup hierarchies are mounted. */
    cgroupRoot: z.string().default('/sys/fs/cgroup'),
    /** Root of the sysfs tree the topology is read from; "/" on real hosts. */
    sysfsRoot: z.string().default('/'),
    /** Path of the runner executable; unset: the one built by binding.gyp. */
    runnerPath: z.string().optional(),
    /** A role table replacing daemon/iam/roles.default.json (docs/iam.md). */
    rolesFile: z.string().min(1).optional(),
    /** The Ed25519 audit key; unset: <stateDir>/audit-ed25519.key. */
    auditKeyFile: z.string().min(1).optional(),
    /** Sign the audit chain's head every this many events (and at shutdown). */
    auditSignEvery: z.number().int().min(1).max(1_000_000).default(100),
    /** Classification of a job submitted without one. */
    defaultClassification: z.enum(['phi', 'de-identified', 'public']).default('public'),
    /** Where refusals for plan reasons tell tenants to upgrade; optional. */
    billingUrl: z.string().default(''),
    /** This host's own limits per tenant, on top of the plan's. */
    tenantLimits: z
      .object({
        maxActiveJobsPerTenant: z.number().int().min(1).optional(),
        cpuSecondsPerMonth: z.number().positive().optional(),
      })
      .strict()
      .default({}),
    /** JWTs from an OIDC issuer (docs/iam.md); unset: API tokens only. */
    jwt: z
      .object({
        issuer: z.string().min(1),
        audience: z.string().min(1),
        jwksUrl: z.string().url().optional(),
        jwksFile: z.string().min(1).optional(),
        algorithms: z.array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'])).min(1).default(['RS256', 'ES256', 'EdDSA']),
        tenantClaim: z.string().min(1).default('tenant_id'),
        roleClaim: z.string().min(1).default('realm_access.roles'),
        userClaim: z.string().min(1).default('sub'),
        cacheMaxAgeMs: z.number().int().min(0).default(600_000),
        clockToleranceSec: z.number().int().min(0).max(300).default(30),
      })
      .strict()
      .refine((j) => Boolean(j.jwksUrl) !== Boolean(j.jwksFile), { message: 'give exactly one of jwksUrl and jwksFile' })
      .optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.listen && !(c.tlsCert && c.tlsKey)) {
      ctx.addIssue({ code: 'custom', path: ['listen'], message: 'TCP listening needs tlsCert and tlsKey' })
    }
    if (!c.listen && (c.tlsCert || c.tlsKey)) {
      ctx.addIssue({ code: 'custom', path: ['tlsCert'], message: 'tlsCert and tlsKey are used only with listen' })
    }
  })

export type ConfigInput = z.input<typeof configSchema>
export type Config = Readonly<
  z.output<typeof configSchema> & { socket: string; adminTokenFile: string; dbFile: string; lockFile: string; auditKeyFile: string; auditHeadFile: string }
>

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

/**
 * What the schema cannot see: the port's range, the TLS files (readable,
 * PEM, a key that matches the certificate) and the socket's folder.
 */
function checkOnHost(c: z.output<typeof configSchema>, cwd: string, stateDir: string, socket: string): string[] {
  const issues: string[] = []
  if (c.listen) {
    const port = Number(/:(\d+)$/.exec(c.listen)![1])
    if (port > 65535) issues.push(`listen: port ${port} is above 65535`)
  }
  if (c.tlsCert && c.tlsKey) {
    let cert: crypto.X509Certificate | undefined
    let key: crypto.KeyObject | undefined
    try {
      cert = new crypto.X509Certificate(fs.readFileSync(path.resolve(cwd, c.tlsCert)))
    } catch (err) {
      issues.push(`tlsCert: ${c.tlsCert} is not a readable PEM certificate (${(err as Error).message})`)
    }
    try {
      key = crypto.createPrivateKey(fs.readFileSync(path.resolve(cwd, c.tlsKey)))
    } catch (err) {
      issues.push(`tlsKey: ${c.tlsKey} is not a readable PEM private key (${(err as Error).message})`)
    }
    if (cert && key && !cert.checkPrivateKey(key)) issues.push(`tlsKey: ${c.tlsKey} is not the private key of the certificate ${c.tlsCert}`)
  }
  // The state dir is made at start; a socket elsewhere needs its folder.
  const folder = path.dirname(socket)
  if (folder !== stateDir && !fs.existsSync(folder)) issues.push(`socket: the folder ${folder} does not exist`)
  return issues
}

/** Merges the file (if any) under the flags, validates, resolves paths. */
export function loadConfig(flags: Partial<ConfigInput> & { config?: string }, cwd = process.cwd()): Config {
  let fromFile: Record<string, unknown> = {}
  if (flags.config) {
    let text: string
    try {
      text = fs.readFileSync(flags.config, 'utf8')
    } catch (err) {
      throw new ConfigError([`cannot read config file ${flags.config}: ${(err as Error).message}`])
    }
    try {
      fromFile = JSON.parse(text)
    } catch (err) {
      throw new ConfigError([`config file ${flags.config} is not valid JSON: ${(err as Error).message}`])
    }
  }
  const { config: _ignored, ...rest } = flags
  const merged: Record<string, unknown> = { stateDir: '.z3bra', ...fromFile }
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) merged[k] = v
  const parsed = configSchema.safeParse(merged)
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`))
  }
  const c = parsed.data
  const stateDir = path.resolve(cwd, c.stateDir)
  const socket = path.resolve(cwd, c.socket ?? path.join(stateDir, 'agent.sock'))
  const issues = checkOnHost(c, cwd, stateDir, socket)
  if (issues.length) throw new ConfigError(issues)
  return Object.freeze({
    ...c,
    stateDir,
    socket,
    adminTokenFile: path.resolve(cwd, c.adminTokenFile ?? path.join(stateDir, 'admin.token')),
    dbFile: path.join(stateDir, 'agent.db'),
    lockFile: path.join(stateDir, 'agent.lock'),
    auditKeyFile: path.resolve(cwd, c.auditKeyFile ?? path.join(stateDir, 'audit-ed25519.key')),
    auditHeadFile: path.join(stateDir, 'audit.head'),
    rolesFile: c.rolesFile === undefined ? undefined : path.resolve(cwd, c.rolesFile),
  })
}

/** MemAvailable from /proc/meminfo, bytes; os.freemem() where it is missing. */
export function memAvailableBytes(): number {
  try {
    const m = /^MemAvailable:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'))
    if (m) return Number(m[1]) * 1024
  } catch {
    // Not Linux, or /proc is hidden: fall through.
  }
  return os.freemem()
}
