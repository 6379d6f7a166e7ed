// SPDX-License-Identifier: Apache-2.0
// HostService: what an operator asks first about a host, and the levers
// to drain it and cordon CPUs.
import type * as grpc from '@grpc/grpc-js'
import os from 'node:os'
import { formatCpuList, parseCpuList } from '../backends/proc'
import { memAvailableBytes, type Config } from '../config'
import { AgentError } from '../errors'
import type { JobManager } from '../jobs/manager'
import type { Principal } from '../auth'
import { AGENT_VERSION, GIT_COMMIT } from '../version'
import { timestamp } from './convert'
import { unary, type HandlerContext } from './handlers'
import { reasonText } from '../text'

export interface HostInfo {
  startedAt: number
  simulator: string
}

function reasonOf(r: { reason?: string }, what: string): string {
  const reason = reasonText(r.reason)
  if (!reason) throw new AgentError('Z3_INVALID_ARGUMENT', `${what} needs a reason, for the record.`)
  return reason
}

function cpusOf(r: { cpus?: string }): number[] {
  try {
    const cpus = parseCpuList(r.cpus ?? '')
    if (cpus.length === 0) throw new RangeError('empty')
    return cpus
  } catch {
    throw new AgentError('Z3_INVALID_ARGUMENT', `cpus must be a CPU list such as "3,5-7"; got "${r.cpus ?? ''}".`)
  }
}

function actorOf(p: Principal): string {
  return `${p.userId}@${p.tenantId}`
}

/**
 * The host's status as `viewer` may see it. A caller confined to one tenant
 * sees the whole host's capacity and counts, but the job ids and tenant
 * names of its own tenant only: another tenant's running job shows as a
 * busy CPU, its queue as part of the counts.
 */
export function hostStatus(jobs: JobManager, config: Config, info: HostInfo, viewer?: Principal): Record<string, unknown> {
  const s = jobs.scheduler
  const counts = jobs.store.countsByState()
  const visible = (tenantId: string | undefined) => !viewer || viewer.crossTenant || tenantId === viewer.tenantId
  const running = [...s.held.values()].filter((h) => visible(h.tenantId)).map((h) => h.jobId)
  const cpus = s.topology.cpus.map((c) => {
    const holder = s.busy.get(c.id)
    const cordon = s.cordoned.get(c.id)
    const state = holder ? 'busy' : s.policy.reserved.has(c.id) ? 'reserved' : cordon ? 'cordoned' : 'free'
    const shown = holder && visible(s.held.get(holder)?.tenantId) ? holder : ''
    return { cpu: c.id, state, job_id: shown, node: c.node, core: c.core, package: c.pkg, reason: cordon?.reason ?? '', siblings: c.siblings }
  })
  const next = s.head()
  const head = next && visible(next.tenantId) ? next : null
  const degraded = [...jobs.degraded.values()]
  return {
    version: AGENT_VERSION,
    git_commit: GIT_COMMIT,
    hostname: os.hostname(),
    started_at: timestamp(info.startedAt),
    uptime_seconds: (Date.now() - info.startedAt) / 1000,
    pid: process.pid,
    state_dir: config.stateDir,
    socket_path: config.socket,
    cpus_online: s.topology.cpus.length,
    cpus,
    memory_total_bytes: String(os.totalmem()),
    memory_available_bytes: String(memAvailableBytes()),
    memory_limit_bytes: String(jobs.memoryLimitBytes),
    queue_depth: counts.QUEUED,
    running_jobs: s.held.size,
    running_job_ids: running,
    state: degraded.length ? 'degraded' : jobs.isDraining ? 'draining' : 'serving',
    simulator: info.simulator,
    jobs_by_state: Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, String(v)])),
    kernel: `${os.type()} ${os.release()}`,
    nodes: s.topology.nodes.map((n) => ({ node: n.id, cpus: n.cpus, memory_bytes: String(n.memoryBytes) })),
    tenants: s
      .tenants()
      .filter((t) => visible(t.tenantId))
      .map((t) => ({ tenant_id: t.tenantId, queued: t.queued, fair_share_factor: t.factor, weight: t.weight })),
    head_job_id: head?.jobId ?? '',
    head_wait_reason: head?.reason ?? '',
    drain: s.drain ? { actor: s.drain.actor, reason: s.drain.reason, time: timestamp(s.drain.time) } : null,
    degraded_reasons: degraded,
    smt: s.topology.smt,
    whole_cores: s.policy.wholeCores,
    cpu_enforcement: jobs.cpusets ? `cpuset-${jobs.cpusets.kind} ${jobs.cpusets.base}` : 'affinity',
  }
}

export function hostService(
  ctx: HandlerContext,
  jobs: JobManager,
  config: Config,
  info: HostInfo,
): grpc.UntypedServiceImplementation {
  const status = (p?: Principal) => hostStatus(jobs, config, info, p)
  return {
    GetStatus: unary<unknown, unknown>(ctx, 'GetStatus', (p) => status(p)),
    Drain: (call: grpc.ServerUnaryCall<any, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      // Unary but possibly long: with wait it answers once running work ends.
      unary<any, unknown>(ctx, 'Drain', (p, r) => {
        jobs.drain(actorOf(p), reasonOf(r, 'Drain'))
        return r.wait ? null : status()
      })(call, (err, res) => {
        if (err || !call.request.wait) return callback(err, res)
        void jobs.idle().then(() => callback(null, status()))
      })
    },
    Undrain: unary<any, unknown>(ctx, 'Undrain', (p, r) => {
      jobs.undrain(actorOf(p), reasonText(r.reason))
      return status()
    }),
    Cordon: unary<any, unknown>(ctx, 'Cordon', (p, r) => {
      const cpus = cpusOf(r)
      jobs.cordon(actorOf(p), cpus, reasonOf(r, `Cordon of CPUs ${formatCpuList(cpus)}`))
      return status()
    }),
    Uncordon: unary<any, unknown>(ctx, 'Uncordon', (p, r) => {
      jobs.uncordon(actorOf(p), cpusOf(r), reasonText(r.reason))
      return status()
    }),
  }
}
