// SPDX-License-Identifier: Apache-2.0
// HostService: what an operator asks first about a host.
import type * as grpc from '@grpc/grpc-js'
import os from 'node:os'
import { memAvailableBytes, type Config } from '../config'
import type { JobManager } from '../jobs/manager'
import { AGENT_VERSION, GIT_COMMIT } from '../version'
import { timestamp } from './convert'
import { unary, type HandlerContext } from './handlers'

export interface HostInfo {
  startedAt: number
  simulator: string
}

export function hostService(
  ctx: HandlerContext,
  jobs: JobManager,
  config: Config,
  info: HostInfo,
): grpc.UntypedServiceImplementation {
  return {
    GetStatus: unary<unknown, unknown>(ctx, 'GetStatus', () => {
      const holders = jobs.cpuHolders()
      const counts = jobs.store.countsByState()
      const running = jobs.runningIds()
      const usable = new Set(jobs.cpus)
      const online = os.cpus().length
      const cpus = []
      for (let c = 0; c < online; c++) {
        const holder = holders.get(c)
        cpus.push({ cpu: c, state: !usable.has(c) ? 'reserved' : holder ? 'busy' : 'free', job_id: holder ?? '' })
      }
      return {
        version: AGENT_VERSION,
        git_commit: GIT_COMMIT,
        hostname: os.hostname(),
        started_at: timestamp(info.startedAt),
        uptime_seconds: (Date.now() - info.startedAt) / 1000,
        pid: process.pid,
        state_dir: config.stateDir,
        socket_path: config.socket,
        cpus_online: online,
        cpus,
        memory_total_bytes: String(os.totalmem()),
        memory_available_bytes: String(memAvailableBytes()),
        memory_limit_bytes: String(jobs.memoryLimitBytes),
        queue_depth: counts.QUEUED,
        running_jobs: running.length,
        running_job_ids: running,
        state: jobs.isDraining ? 'draining' : 'serving',
        simulator: info.simulator,
        jobs_by_state: Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, String(v)])),
        kernel: `${os.type()} ${os.release()}`,
      }
    }),
  }
}
