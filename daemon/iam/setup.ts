// SPDX-License-Identifier: Apache-2.0
// Builds the host's IAM from the configuration at start-up: the role table
// (an invalid one stops the daemon), the clock, the audit key and log, the
// authenticator with its optional JWT verifier.
import type { EventEmitter } from 'node:events'
import { Authenticator } from '../auth'
import { loadAuditKey, type AuditKey } from '../audit/key'
import { AuditLog, SYSTEM_ACTOR } from '../audit/log'
import type { Config } from '../config'
import type { Logger } from '../log'
import type { Db } from '../store/db'
import type { JobRow } from '../store/jobs'
import { iamClock } from './clock'
import { Directory } from './directory'
import { Iam } from './iam'
import { JwtVerifier } from './jwt'
import { Quotas } from './quota'
import { DEFAULT_ROLES_FILE, loadRoleTable, type RoleTable } from './roles'

export interface IamSetup {
  auth: Authenticator
  iam: Iam
  auditKey: AuditKey
}

/** What the IAM reads from outside the state dir: the role table, the clock, the JWT key set. */
export interface IamFiles {
  roles: RoleTable
  now: () => number
  jwt?: JwtVerifier
}

/**
 * Reads the role table, the test clock and the JWT key set: before the
 * state dir is touched, so that a bad one stops the start leaving nothing
 * behind. Throws RoleTableError or another Error that says which.
 */
export function loadIamFiles(config: Config): IamFiles {
  const roles = loadRoleTable(config.rolesFile ?? DEFAULT_ROLES_FILE)
  const now = iamClock()
  const jwt = config.jwt ? new JwtVerifier(config.jwt, Object.keys(roles), now) : undefined
  return { roles, now, jwt }
}

export function setupIam(db: Db, config: Config, files: IamFiles): IamSetup {
  const { roles, now, jwt } = files
  const auditKey = loadAuditKey(config.auditKeyFile)
  const audit = new AuditLog(db, auditKey, config.auditHeadFile, config.auditSignEvery, now)
  const directory = new Directory(db, now)
  const quotas = new Quotas(db, directory, config.tenantLimits, now, config.billingUrl)
  const iam = new Iam({ db, roles, directory, quotas, audit, now, defaultClassification: config.defaultClassification })
  const auth = new Authenticator(db, now, { roles, jwt })
  return { auth, iam, auditKey }
}

/**
 * Files each job transition the daemon makes on its own (start, finish,
 * requeue) as an audit event. Submits and cancels are filed by the calls
 * that make them.
 */
export function auditTransitions(iam: Iam, jobs: EventEmitter, log: Logger): void {
  jobs.on('job', (j: JobRow) => {
    if (j.state === 'QUEUED' && j.attempts === 0) return
    if (j.state === 'CANCELLED') return
    try {
      iam.audit.append({
        tenantId: j.tenant_id,
        actor: SYSTEM_ACTOR,
        action: `job.${j.state.toLowerCase()}`,
        resource: 'job',
        resourceId: j.id,
        outcome: 'ok',
        // A job back in the queue after a start: the daemon that ran it
        // stopped first; its job_events row says how.
        details: j.error ? { error: j.error } : j.state === 'QUEUED' ? { requeued: true, attempts: j.attempts } : {},
      })
    } catch (err) {
      log.error({ err, job_id: j.id }, 'audit event not written')
    }
  })
}
