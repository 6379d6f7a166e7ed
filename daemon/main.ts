#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// z3bra-agentd: the host daemon. Runs in the foreground; under systemd it
// speaks the notify protocol (READY, STATUS, STOPPING, WATCHDOG).
import fs from 'node:fs'
import { parseArgs } from 'node:util'
import { auditTransitions, loadIamFiles, setupIam, type IamFiles, type IamSetup } from './iam/setup'
import { RoleTableError } from './iam/roles'
import { ConfigError, loadConfig, memAvailableBytes, type Config } from './config'
import { JobManager } from './jobs/manager'
import { createLogger } from './log'
import { getAffinity, lockFile, notify, runnerPath } from './native'
import { StartError, startServer, type AgentServer } from './grpc/server'
import { openDb } from './store/db'
import { JobStore } from './store/jobs'
import { HostStore } from './store/host'
import { Scheduler } from './scheduler/scheduler'
import { Cpusets } from './backends/cpuset'
import { formatCpuList } from './backends/proc'
import { readTopology } from './scheduler/topology'
import { schedulable } from './scheduler/allocator'
import { AGENT_VERSION } from './version'

const USAGE = `usage: z3bra-agentd [--state-dir DIR] [--socket PATH] [--listen HOST:PORT --tls-cert F --tls-key F] [--config FILE] [--log-level LEVEL]`

function parseFlags(argv: string[]): Record<string, string | undefined> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'state-dir': { type: 'string' },
      socket: { type: 'string' },
      listen: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      config: { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'V' },
    },
    strict: true,
  })
  if (values.help) {
    process.stdout.write(USAGE + '\n')
    process.exit(0)
  }
  if (values.version) {
    process.stdout.write(`z3bra-agentd ${AGENT_VERSION}\n`)
    process.exit(0)
  }
  return values as Record<string, string | undefined>
}

/** Takes the state dir's lock, or says who holds it and exits. */
function lockStateDir(config: Config): number {
  fs.mkdirSync(config.stateDir, { recursive: true, mode: 0o700 })
  let fd: number
  try {
    fd = lockFile(config.lockFile)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOCKED') {
      let holder = 'another process'
      try {
        const pid = fs.readFileSync(config.lockFile, 'utf8').trim()
        if (/^\d+$/.test(pid)) holder = `z3bra-agentd pid ${pid}`
      } catch {
        // The holder has not written its pid yet.
      }
      process.stderr.write(`z3bra-agentd: the state dir ${config.stateDir} is in use by ${holder}; stop it first or use --state-dir\n`)
      process.exit(1)
    }
    throw err
  }
  fs.ftruncateSync(fd, 0)
  fs.writeSync(fd, `${process.pid}\n`, 0)
  return fd
}

function banner(config: Config, tcpPort?: number): string {
  const lines = [
    `z3bra-agentd ${AGENT_VERSION} is running (pid ${process.pid})`,
    `  socket:  ${config.socket}`,
    ...(config.listen ? [`  tcp+tls: ${config.listen.replace(/:\d+$/, '')}:${tcpPort}`] : []),
    `  token:   ${config.adminTokenFile}`,
    `  store:   ${config.dbFile}`,
    `  first job: npx z3bra-agent submit examples/bell.qasm --shots 1000 --wait`,
  ]
  return lines.join('\n') + '\n'
}

async function main(): Promise<void> {
  let flags: Record<string, string | undefined>
  let config: Config
  try {
    flags = parseFlags(process.argv.slice(2))
    config = loadConfig({
      config: flags.config,
      stateDir: flags['state-dir'],
      socket: flags.socket,
      listen: flags.listen,
      tlsCert: flags['tls-cert'],
      tlsKey: flags['tls-key'],
      logLevel: flags['log-level'] as Config['logLevel'] | undefined,
    })
  } catch (err) {
    process.stderr.write(`z3bra-agentd: ${(err as Error).message}\n${err instanceof ConfigError ? '' : USAGE + '\n'}`)
    process.exit(2)
  }
  // The host's CPUs against the configuration, before anything is written
  // to the state dir. CPUs outside the daemon's own mask (or the configured
  // set) are as good as reserved: the kernel would refuse to pin a runner
  // there.
  const topology = readTopology(config.sysfsRoot)
  const refuseCpus = (problem: string): never => {
    process.stderr.write(`z3bra-agentd: invalid configuration:\n  - cpus/reservedCpus: ${problem}\n`)
    process.exit(2)
  }
  const online = topology.cpus.map((c) => c.id)
  const unknownCpus = [...(config.cpus ?? []), ...config.reservedCpus].filter((c) => !online.includes(c))
  if (unknownCpus.length) refuseCpus(`CPUs ${formatCpuList(unknownCpus)} are not online on this host (online: ${formatCpuList(online)})`)
  const allowed = new Set(config.cpus ?? getAffinity(process.pid))
  const outside = online.filter((c) => !allowed.has(c))
  const reserved = new Set([...config.reservedCpus, ...outside])
  if (schedulable(topology, { reserved, wholeCores: config.wholeCores }).length === 0) {
    refuseCpus(
      `no CPU is left to run jobs on (online: ${formatCpuList(online)}; reservedCpus: ${formatCpuList(config.reservedCpus) || 'none'}; ` +
        `outside ${config.cpus ? 'cpus' : "the daemon's affinity"}: ${formatCpuList(outside) || 'none'})`,
    )
  }
  // A bad role table, JWKS file, audit key or test clock: say which and
  // stop; the files outside the state dir before anything is written there.
  const refuseIam = (err: unknown): never => {
    const what = err instanceof RoleTableError ? err.message : `cannot set up access control: ${(err as Error).message}`
    process.stderr.write(`z3bra-agentd: ${what}\n`)
    process.exit(2)
  }
  let iamFiles: IamFiles
  try {
    iamFiles = loadIamFiles(config)
  } catch (err) {
    return refuseIam(err)
  }
  lockStateDir(config)
  const log = createLogger(config.logLevel)
  const startedAt = Date.now()
  const db = openDb(config.dbFile)
  let sec: IamSetup
  try {
    sec = setupIam(db, config, iamFiles)
  } catch (err) {
    return refuseIam(err)
  }
  const { auth, iam } = sec
  auth.ensureBootstrapToken(config.adminTokenFile)
  iam.audit.append({ tenantId: 'system', actor: { userId: 'z3bra-agentd', role: 'system', tenantId: 'system' }, action: 'daemon.start', resource: 'host', outcome: 'ok', details: { pid: process.pid } })
  const store = new JobStore(db)
  const memoryLimitBytes = config.memoryLimitBytes ?? Math.floor(memAvailableBytes() * config.memoryLimitFraction)
  const scheduler = new Scheduler({
    topology,
    policy: { reserved, wholeCores: config.wholeCores },
    maxCpusPerJob: config.maxCpusPerJob,
    memoryLimitBytes,
    halfLifeMs: config.fairShareHalfLifeMs,
    // A tenant's own weight, else its plan's, else 1 (a tenant deleted
    // while its jobs wait, or one the directory never knew).
    weightOf: (t) => config.tenantWeights[t] ?? config.planWeights[iam.directory.tenant(t)?.plan as keyof typeof config.planWeights] ?? 1,
    backfillLimitMs: config.backfillLimitMs,
  })
  // Usage older than 20 half-lives weighs under a millionth of its CPU time.
  scheduler.restoreUsage(store.cpuTimeSince(Date.now() - 20 * config.fairShareHalfLifeMs))
  let cpusets: Cpusets | null = null
  if (config.cpusets === 'auto') {
    const found = Cpusets.open({ cgroupRoot: config.cgroupRoot, procRoot: '/proc', stateDir: config.stateDir })
    cpusets = found.cpusets
    if (cpusets) log.info({ kind: cpusets.kind, base: cpusets.base }, 'jobs get a cpuset each')
    else log.warn({ reason: found.reason }, 'no cpuset hierarchy to use: runners are held by their affinity mask alone')
  }
  const jobs = new JobManager({
    cpusets,
    tenantLimits: (t) => {
      const row = iam.directory.tenant(t)
      if (!row) return {}
      const l = iam.directory.limits(row)
      return { timeoutMs: l.jobTimeoutSeconds === null ? undefined : l.jobTimeoutSeconds * 1000, cpusPerJob: l.cpusPerJob ?? undefined }
    },
    store,
    host: new HostStore(db),
    config,
    log,
    runnerPath: config.runnerPath ?? runnerPath(),
    scheduler,
    memoryLimitBytes,
  })
  jobs.restoreHostState()
  // Before recovery, so that a job requeued from a stopped daemon is filed.
  auditTransitions(iam, jobs, log)
  jobs.recover()
  const cpus = topology.cpus.map((c) => c.id).filter((c) => !reserved.has(c))
  let srv: AgentServer
  try {
    srv = await startServer(config, auth, jobs, log, { startedAt, simulator: 'z3bra-sim' }, iam, sec.auditKey)
  } catch (err) {
    if (!(err instanceof StartError)) throw err
    process.stderr.write(`z3bra-agentd: ${err.message}\n`)
    db.close()
    cpusets?.close()
    process.exit(2)
  }
  log.info(
    { socket: config.socket, listen: config.listen, tcp_port: srv.tcpPort, state_dir: config.stateDir, cpus, memory_limit_bytes: memoryLimitBytes },
    'agent serving',
  )
  process.stderr.write(banner(config, srv.tcpPort))
  notify(`READY=1\nSTATUS=serving on ${config.socket}\nMAINPID=${process.pid}`)
  const watchdogUsec = Number(process.env.WATCHDOG_USEC ?? 0)
  if (watchdogUsec > 0) setInterval(() => notify('WATCHDOG=1'), Math.max(1, Math.floor(watchdogUsec / 2000))).unref()
  jobs.schedule()

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    log.info({ signal, running: jobs.runningIds().length, grace_ms: config.shutdownGraceMs }, 'draining before exit')
    notify('STOPPING=1\nSTATUS=draining')
    srv.health.setStatus('', 'NOT_SERVING')
    await jobs.drainAndStop(config.shutdownGraceMs)
    srv.server.forceShutdown()
    // Sign the head last, so the final events are covered: a log cut short
    // after a clean stop is caught by the head file.
    iam.audit.append({ tenantId: 'system', actor: { userId: 'z3bra-agentd', role: 'system', tenantId: 'system' }, action: 'daemon.stop', resource: 'host', outcome: 'ok', details: { signal } })
    iam.audit.signHead('shutdown')
    db.close()
    cpusets?.close()
    // Only the socket this daemon bound: a path taken over meanwhile stays.
    try {
      if (fs.statSync(config.socket).ino === srv.socketInode) fs.rmSync(config.socket)
    } catch {
      // Already gone.
    }
    log.info({}, 'agent stopped')
    process.exit(0)
  }
  process.on('SIGTERM', () => void stop('SIGTERM'))
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGHUP', () => {
    try {
      const next = loadConfig({ config: flags.config, logLevel: flags['log-level'] as Config['logLevel'] | undefined, stateDir: flags['state-dir'] })
      log.level = next.logLevel
      log.info({ log_level: next.logLevel }, 'configuration reloaded')
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'configuration reload refused; keeping the running one')
    }
  })
}

main().catch((err) => {
  process.stderr.write(`z3bra-agentd: ${(err as Error).stack ?? err}\n`)
  process.exit(1)
})
