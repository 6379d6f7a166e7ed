// SPDX-License-Identifier: Apache-2.0
// Subscriptions, quotas and usage. The charge for a job is its row: a job
// counts against the UTC month in its charged_period, which a cancel before
// start sets back to NULL. The count is taken inside the transaction that
// inserts the row, after the insert, so two submits can never both see room
// for one last job, in this process or any other on the same store.
import { AgentError } from '../errors'
import type { Db } from '../store/db'
import { monthBounds, monthOf, type Clock } from './clock'
import type { Directory, TenantRow } from './directory'

export interface HostQuotas {
  /** Queued plus running jobs one tenant may hold on this host. */
  maxActiveJobsPerTenant?: number
  /** CPU-seconds one tenant may use in a month on this host. */
  cpuSecondsPerMonth?: number
}

export interface Usage {
  tenantId: string
  month: string
  periodStart: number
  periodEnd: number
  jobs: number
  shots: number
  cpuSeconds: number
  qpuSeconds: number
  resultBytes: number
  storageBytes: number
}

const iso = (ms: number) => new Date(ms).toISOString()

export class Quotas {
  constructor(
    private readonly db: Db,
    private readonly dir: Directory,
    private readonly host: HostQuotas,
    private readonly now: Clock,
    private readonly billingUrl: string,
  ) {}

  private upgradeHint(t: TenantRow): string {
    const where = this.billingUrl ? ` or at ${this.billingUrl}` : ''
    return `choose a plan with \`z3bra-agent tenant set-plan ${t.id} professional\` (a system admin)${where}`
  }

  /** FAILED_PRECONDITION when the tenant may not start new work at all. */
  checkActive(t: TenantRow): void {
    const now = this.now()
    if (t.subscription === 'trial' && t.trial_ends_at !== null && now >= t.trial_ends_at) {
      throw new AgentError(
        'Z3_TRIAL_EXPIRED',
        `Tenant "${t.id}"'s free trial ended at ${iso(t.trial_ends_at)}; to go on submitting jobs, ${this.upgradeHint(t)}.`,
      )
    }
    if (t.subscription === 'suspended' || t.subscription === 'canceled') {
      throw new AgentError(
        'Z3_SUBSCRIPTION_INACTIVE',
        `Tenant "${t.id}"'s subscription is ${t.subscription}${t.status_reason ? ` (${t.status_reason})` : ''}; it takes no new jobs until a system admin reactivates it with \`z3bra-agent tenant resume ${t.id}\`; to upgrade, ${this.upgradeHint(t)}.`,
      )
    }
  }

  /** The month a job submitted now is charged to. */
  period(): string {
    return monthOf(this.now())
  }

  /**
   * Checks every limit with the new job's row already inserted; throws (so
   * the insert rolls back) when one is over. Call inside the insert's
   * transaction.
   */
  checkAfterInsert(t: TenantRow, period: string): void {
    const limits = this.dir.limits(t)
    const { end } = monthBounds(period)
    const jobs = this.countJobs(t.id, period)
    if (limits.jobsPerMonth !== null && jobs > limits.jobsPerMonth) {
      throw new AgentError(
        'Z3_QUOTA_EXCEEDED',
        `Tenant "${t.id}" has used ${jobs - 1} of the ${limits.jobsPerMonth} jobs its ${t.plan} plan allows in ${period} (limit jobsPerMonth); the period ends at ${iso(end)}, or ${this.upgradeHint(t)}.`,
      )
    }
    const maxActive = this.host.maxActiveJobsPerTenant
    if (maxActive !== undefined) {
      const active = (
        this.db.prepare("SELECT COUNT(*) AS n FROM jobs WHERE tenant_id = ? AND state IN ('QUEUED','RUNNING')").get(t.id) as { n: number }
      ).n
      if (active > maxActive) {
        throw new AgentError(
          'Z3_QUOTA_EXCEEDED',
          `Tenant "${t.id}" already has ${active - 1} of the ${maxActive} queued or running jobs this host allows a tenant (limit maxActiveJobsPerTenant); wait for some to end.`,
        )
      }
    }
    const cpuMax = this.host.cpuSecondsPerMonth
    if (cpuMax !== undefined) {
      const used = this.cpuSeconds(t.id, period)
      if (used >= cpuMax) {
        throw new AgentError(
          'Z3_QUOTA_EXCEEDED',
          `Tenant "${t.id}" has used ${used.toFixed(3)} of the ${cpuMax} CPU-seconds this host allows a tenant in ${period} (limit cpuSecondsPerMonth); the period ends at ${iso(end)}.`,
        )
      }
    }
    if (limits.storageBytes !== null) {
      const stored = this.storageBytes(t.id)
      if (stored > limits.storageBytes) {
        throw new AgentError(
          'Z3_QUOTA_EXCEEDED',
          `Tenant "${t.id}" stores ${stored} bytes of circuits and results, above the ${limits.storageBytes} its ${t.plan} plan allows (limit storageBytes); ${this.upgradeHint(t)}.`,
        )
      }
    }
  }

  private countJobs(tenantId: string, period: string): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM jobs WHERE tenant_id = ? AND charged_period = ?').get(tenantId, period) as { n: number }).n
  }

  // CPU time is the runner's wall time times its threads, each pinned to
  // its own CPU for the whole run: an upper bound, which is the side a
  // quota should err on.
  private cpuSeconds(tenantId: string, period: string): number {
    const r = this.db
      .prepare(
        `SELECT COALESCE(SUM(json_extract(r.result_json, '$.stats.wall_seconds') * json_extract(r.result_json, '$.stats.threads')), 0) AS s
         FROM job_results r JOIN jobs j ON j.id = r.job_id WHERE j.tenant_id = ? AND j.charged_period = ?`,
      )
      .get(tenantId, period) as { s: number }
    return r.s
  }

  private storageBytes(tenantId: string): number {
    const r = this.db
      .prepare(
        `SELECT COALESCE(SUM(length(CAST(j.source AS BLOB))), 0) + COALESCE(SUM(length(CAST(r.result_json AS BLOB))), 0) AS b
         FROM jobs j LEFT JOIN job_results r ON r.job_id = j.id WHERE j.tenant_id = ?`,
      )
      .get(tenantId) as { b: number }
    return r.b
  }

  usage(tenantId: string, month = this.period()): Usage {
    const { start, end } = monthBounds(month)
    const j = this.db
      .prepare('SELECT COUNT(*) AS jobs, COALESCE(SUM(shots), 0) AS shots FROM jobs WHERE tenant_id = ? AND charged_period = ?')
      .get(tenantId, month) as { jobs: number; shots: number }
    const r = this.db
      .prepare(
        `SELECT COALESCE(SUM(length(CAST(r.result_json AS BLOB))), 0) AS bytes FROM job_results r JOIN jobs j ON j.id = r.job_id
         WHERE j.tenant_id = ? AND j.charged_period = ?`,
      )
      .get(tenantId, month) as { bytes: number }
    return {
      tenantId,
      month,
      periodStart: start,
      periodEnd: end,
      jobs: j.jobs,
      shots: j.shots,
      cpuSeconds: this.cpuSeconds(tenantId, month),
      // Only the local simulator exists yet; QPU time is metered when the
      // QPU backend lands.
      qpuSeconds: 0,
      resultBytes: r.bytes,
      storageBytes: this.storageBytes(tenantId),
    }
  }
}
