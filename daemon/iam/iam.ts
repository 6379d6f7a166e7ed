// SPDX-License-Identifier: Apache-2.0
// The host's IAM in one object: the directory of tenants, users and tokens,
// the role table, quotas and the audit log, and the decisions that need
// more than one of them (may this job be submitted; a PHI result read).
import type { Principal } from '../auth'
import { AuditLog, type AuditInput } from '../audit/log'
import { AgentError } from '../errors'
import type { Db } from '../store/db'
import type { JobRow } from '../store/jobs'
import type { Clock } from './clock'
import { Directory, type TenantRow } from './directory'
import { allows } from './policy'
import { Quotas } from './quota'
import { CLASSIFICATIONS, type Classification, type RoleTable } from './roles'
import { plainText } from '../text'
import { checkBackend } from '../jobs/admission'

export const MAX_JUSTIFICATION_CHARS = 1000

export interface SubmitGate {
  tenant: TenantRow
  classification: Classification
  justification: string
  period: string
}

export interface IamParts {
  db: Db
  roles: RoleTable
  directory: Directory
  quotas: Quotas
  audit: AuditLog
  now: Clock
  defaultClassification: Classification
}

export class Iam {
  readonly db: Db
  readonly roles: RoleTable
  readonly directory: Directory
  readonly quotas: Quotas
  readonly audit: AuditLog
  readonly now: Clock
  private readonly defaultClassification: Classification

  constructor(o: IamParts) {
    this.db = o.db
    this.roles = o.roles
    this.directory = o.directory
    this.quotas = o.quotas
    this.audit = o.audit
    this.now = o.now
    this.defaultClassification = o.defaultClassification
  }

  get roleNames(): string[] {
    return Object.keys(this.roles)
  }

  /** An audit event on behalf of a principal. */
  record(p: Principal, e: Omit<AuditInput, 'actor' | 'tenantId'> & { tenantId?: string }): number {
    return this.audit.append({
      ...e,
      tenantId: e.tenantId ?? p.tenantId,
      actor: { userId: p.userId, role: p.role, tenantId: p.tenantId, peer: p.peer },
    })
  }

  /**
   * Everything about a submission that is not the circuit: the tenant may
   * take work, and the role, plan and tenant allow this classification.
   * Checked in that order, so the message names the first thing to fix.
   */
  gateSubmit(p: Principal, wanted: { classification?: string; justification?: string; backend?: string }): SubmitGate {
    const tenant = this.directory.mustTenant(p.tenantId)
    this.quotas.checkActive(tenant)
    const raw = wanted.classification || this.defaultClassification
    const classification = raw.toLowerCase().replace(/_/g, '-') as Classification
    if (!(CLASSIFICATIONS as readonly string[]).includes(classification)) {
      throw new AgentError('Z3_INVALID_ARGUMENT', `classification must be one of phi, de-identified, public; got "${raw}".`)
    }
    const justification = plainText((wanted.justification ?? '').trim(), 'justification', MAX_JUSTIFICATION_CHARS)
    if (classification === 'phi') {
      if (tenant.plan === 'research') {
        throw new AgentError('Z3_CLASSIFICATION_DENIED', `Tenant "${tenant.id}" is on the research plan, which runs de-identified and public work only.`)
      }
      if (!p.phiAccess) {
        throw new AgentError('Z3_CLASSIFICATION_DENIED', `Role ${p.role} has no PHI access, so it may not submit a phi job.`)
      }
      if (!tenant.hipaa_enabled || tenant.baa_signed_at === null) {
        const missing = [!tenant.hipaa_enabled ? 'HIPAA enabled' : '', tenant.baa_signed_at === null ? 'a signed BAA' : ''].filter(Boolean)
        throw new AgentError('Z3_HIPAA_REQUIRED', `Tenant "${tenant.id}" needs ${missing.join(' and ')} before it may run phi jobs.`)
      }
      if (!justification) {
        throw new AgentError('Z3_JUSTIFICATION_REQUIRED', 'A phi job needs a justification (why this PHI is processed).')
      }
    }
    // An unknown backend is unknown to every role, before any role's
    // backend conditions are weighed.
    const backend = checkBackend(wanted.backend || 'local')
    if (!allows(p, 'job', 'execute', { tenantId: tenant.id, classification, backend })) {
      throw new AgentError('Z3_CLASSIFICATION_DENIED', `Role ${p.role} may not run ${classification} jobs on backend "${backend}".`)
    }
    return { tenant, classification, justification, period: this.quotas.period() }
  }

  /** Inside the insert's transaction: the quota, then the audit event. */
  afterInsert(p: Principal, g: SubmitGate, job: JobRow): void {
    this.quotas.checkAfterInsert(g.tenant, g.period)
    this.record(p, {
      tenantId: job.tenant_id,
      action: 'job.submit',
      resource: 'job',
      resourceId: job.id,
      outcome: 'ok',
      details: { classification: g.classification, period: g.period, shots: job.shots, qubits: job.num_qubits, backend: job.backend },
    })
  }

  /**
   * Records that a PHI job's result is being read, with who, as which role,
   * in which tenant, why and from where; the result is sent only after this
   * commits.
   */
  recordPhiAccess(p: Principal, job: JobRow, justification: string): void {
    this.db.transaction(() => {
      const seq = this.record(p, {
        tenantId: job.tenant_id,
        action: 'job.result.phi_read',
        resource: 'job_result',
        resourceId: job.id,
        outcome: 'ok',
        details: { justification },
      })
      // The record carries its audit event's own time, so the two agree
      // to the millisecond.
      this.db
        .prepare(
          'INSERT INTO phi_access (time, tenant_id, user_id, role, job_id, justification, peer, audit_seq) SELECT time, ?, ?, ?, ?, ?, ?, seq FROM audit_events WHERE seq = ?',
        )
        .run(job.tenant_id, p.userId, p.role, job.id, justification, p.peer, seq)
    }).immediate()
  }
}
