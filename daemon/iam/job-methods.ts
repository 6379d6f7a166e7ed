// SPDX-License-Identifier: Apache-2.0
// The two JobService methods whose requests carry IAM fields: SubmitJob
// (classification, justification, the quota charge) and GetJobResult (the
// PHI access record). They replace the plain adapters of job-service.ts;
// the rest of JobService is used as it is, with the Job messages decorated.
import type * as grpc from '@grpc/grpc-js'
import { AgentError } from '../errors'
import { jobMessage, resultMessage } from '../grpc/convert'
import { unary, type HandlerContext } from '../grpc/handlers'
import type { JobManager } from '../jobs/manager'
import type { JobRow } from '../store/jobs'
import type { Iam } from './iam'
import { allows } from './policy'
import { MAX_JUSTIFICATION_CHARS } from './iam'
import { plainText } from '../text'

type Req = Record<string, any>

export function iamJobMethods(ctx: HandlerContext, jobs: JobManager, iam: Iam): grpc.UntypedServiceImplementation {
  const msg = (j: JobRow) => jobMessage(j, j.state === 'QUEUED' ? jobs.waitReason(j.id) : undefined)
  return {
    SubmitJob: unary<Req, unknown>(ctx, 'SubmitJob', (p, r) => {
      // A repeat of an acknowledged submission answers as before, even if
      // the tenant's standing changed since: it asks for nothing new.
      const found = jobs.repeatOf(p.tenantId, {
        source: r.source,
        shots: r.shots,
        seed: r.seed ?? undefined,
        probabilities: r.probabilities,
        clientRequestId: r.client_request_id,
      })
      if (found) return { job: msg(found), existing: true }
      const gate = iam.gateSubmit(p, { classification: r.classification, justification: r.justification, backend: r.backend })
      const out = jobs.submit(p, {
        source: r.source,
        format: r.format,
        shots: r.shots,
        seed: r.seed ?? undefined,
        probabilities: r.probabilities,
        backend: r.backend,
        clientRequestId: r.client_request_id,
        name: r.name,
        priority: r.priority,
        cpus: r.cpus,
        precision: r.precision,
        classification: gate.classification,
        justification: gate.justification,
        chargedPeriod: gate.period,
        afterInsert: (job) => iam.afterInsert(p, gate, job),
      })
      return { job: msg(out.job), existing: out.existing }
    }),

    GetJobResult: unary<Req, unknown>(ctx, 'GetJobResult', (p, r) => {
      const job = jobs.get(p, r.job_id)
      const target = { tenantId: job.tenant_id, classification: job.classification, ownerUserId: job.submitted_by }
      if (!allows(p, 'job_result', 'read', target)) {
        throw new AgentError('Z3_CLASSIFICATION_DENIED', `Role ${p.role} may not read the result of ${job.classification} job "${job.id}".`)
      }
      const doc = jobs.result(p, r.job_id)
      if (job.classification === 'phi') {
        const why = plainText(String(r.justification ?? '').trim(), 'justification', MAX_JUSTIFICATION_CHARS) || job.justification
        iam.recordPhiAccess(p, job, why)
      }
      return resultMessage(r.job_id, doc)
    }),
  }
}

/** Fills the IAM fields of every Job message in a JobService response. */
export function decorateJobs(jobs: JobManager): (res: unknown) => unknown {
  const fill = (m: Record<string, any> | undefined) => {
    if (!m || typeof m.job_id !== 'string' || !('state' in m)) return
    const row = jobs.store.get(m.job_id)
    if (row) {
      m.classification = row.classification
      m.justification = row.justification
    }
  }
  return (res) => {
    const r = res as Record<string, any> | undefined
    if (!r) return res
    if (Array.isArray(r.jobs)) r.jobs.forEach(fill)
    if (r.job) fill(r.job)
    if (typeof r.job_id === 'string' && 'gate_count' in r) fill(r)
    return res
  }
}
