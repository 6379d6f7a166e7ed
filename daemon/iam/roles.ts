// SPDX-License-Identifier: Apache-2.0
// The role table: which role may do what, as data. The default ships in
// roles.default.json (documented in docs/iam.md); `rolesFile` in the config
// replaces it. A table that does not validate stops the daemon at start with
// every problem listed, because a half-understood policy is worse than none.
import fs from 'node:fs'
import path from 'node:path'
import { z } from 'zod'
import { PACKAGE_ROOT } from '../paths'

export const RESOURCES = ['job', 'job_result', 'tenant', 'subscription', 'user', 'token', 'usage', 'audit', 'host'] as const
export const ACTIONS = ['create', 'read', 'update', 'delete', 'execute'] as const
export const CLASSIFICATIONS = ['phi', 'de-identified', 'public'] as const
export const ROLE_NAMES = [
  'system_admin',
  'org_admin',
  'oncologist',
  'pathologist',
  'genetic_counselor',
  'clinical_researcher',
  'lab_analyst',
  'bioinformatician',
  'developer',
  'billing_admin',
  'compliance_auditor',
  'patient',
  'vendor',
] as const

export type Resource = (typeof RESOURCES)[number]
export type Action = (typeof ACTIONS)[number]
export type Classification = (typeof CLASSIFICATIONS)[number]

export const DEFAULT_ROLES_FILE = path.join(PACKAGE_ROOT, 'daemon', 'iam', 'roles.default.json')

const conditionsSchema = z
  .object({
    /** The permission holds only inside these tenants. */
    tenants: z.array(z.string().min(1)).min(1).optional(),
    /** Backends (exact, or a prefix ending in `*`) a job may target. */
    backends: z.array(z.string().min(1)).min(1).optional(),
    /** Data classifications the permission covers. */
    classifications: z.array(z.enum(CLASSIFICATIONS)).min(1).optional(),
    /** Only jobs the caller submitted. */
    self: z.boolean().optional(),
  })
  .strict()

const permissionSchema = z
  .object({
    resource: z.enum([...RESOURCES, '*']),
    action: z.enum([...ACTIONS, '*']),
    conditions: conditionsSchema.optional(),
  })
  .strict()

const roleSchema = z
  .object({
    description: z.string().default(''),
    phi_access: z.boolean(),
    cross_tenant: z.boolean().default(false),
    permissions: z.array(permissionSchema),
  })
  .strict()

const tableSchema = z.object({ version: z.literal(1), roles: z.record(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/), roleSchema) }).strict()

/**
 * The rules a table must keep beyond its shape, checked on the raw data so
 * that they are reported together with any shape problems.
 */
function policyIssues(raw: unknown): string[] {
  const out: string[] = []
  const roles = (raw as { roles?: unknown } | null)?.roles
  if (!roles || typeof roles !== 'object') return out
  const table = roles as Record<string, any>
  if (!Object.hasOwn(table, 'system_admin')) out.push('roles: the table must define system_admin')
  for (const [name, r] of Object.entries(table)) {
    if (!r || typeof r !== 'object') continue
    // Only the system tenant's admins may cross tenants; a table that says
    // otherwise is refused rather than obeyed.
    if (r.cross_tenant === true && name !== 'system_admin') out.push(`roles.${name}.cross_tenant: only system_admin may cross tenants`)
    if (!Array.isArray(r.permissions)) continue
    r.permissions.forEach((p: any, i: number) => {
      const classes = p?.conditions?.classifications
      if (r.phi_access !== true && Array.isArray(classes) && classes.includes('phi')) {
        out.push(`roles.${name}.permissions.${i}.conditions.classifications: names phi but the role has no phi_access`)
      }
    })
  }
  return out
}

export type Conditions = z.infer<typeof conditionsSchema>
export type Permission = z.infer<typeof permissionSchema>
export type Role = z.infer<typeof roleSchema>
export type RoleTable = Readonly<Record<string, Readonly<Role>>>

export class RoleTableError extends Error {
  constructor(file: string, readonly issues: string[]) {
    super(`invalid role table ${file}:\n${issues.map((i) => `  - ${i}`).join('\n')}`)
    this.name = 'RoleTableError'
  }
}

/** Reads and validates a role table; throws RoleTableError listing every issue. */
export function loadRoleTable(file = DEFAULT_ROLES_FILE): RoleTable {
  let raw: unknown
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch (err) {
    throw new RoleTableError(file, [(err as Error).message])
  }
  const parsed = tableSchema.safeParse(raw)
  const issues = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)),
    ...policyIssues(raw),
  ]
  if (!parsed.success || issues.length > 0) throw new RoleTableError(file, issues)
  const roles: Record<string, Readonly<Role>> = {}
  for (const [name, r] of Object.entries(parsed.data.roles)) roles[name] = Object.freeze(r)
  return Object.freeze(roles)
}
