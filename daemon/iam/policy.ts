// SPDX-License-Identifier: Apache-2.0
// Deny by default: a call is allowed only when one of the caller's role
// permissions names the resource and action and all of its conditions hold
// for the target. Another tenant's object is invisible, not forbidden: the
// callers of these functions turn a foreign target into NOT_FOUND, so that
// ids leak nothing.
import type { Principal } from '../auth'
import type { Action, Classification, Conditions, Permission, Resource, Role } from './roles'

/** What a decision is about; a field left out is not checked. */
export interface Target {
  tenantId?: string
  classification?: Classification
  backend?: string
  /** The user who submitted the job. */
  ownerUserId?: string
}

function names(p: Permission, resource: Resource, action: Action): boolean {
  return (p.resource === '*' || p.resource === resource) && (p.action === '*' || p.action === action)
}

function backendMatches(patterns: string[], backend: string): boolean {
  return patterns.some((b) => (b.endsWith('*') ? backend.startsWith(b.slice(0, -1)) : b === backend))
}

function holds(p: Principal, c: Conditions | undefined, t: Target): boolean {
  if (!c) return true
  if (c.tenants && !c.tenants.includes(t.tenantId ?? p.tenantId)) return false
  if (c.backends && t.backend !== undefined && !backendMatches(c.backends, t.backend)) return false
  if (c.classifications && t.classification !== undefined && !c.classifications.includes(t.classification)) return false
  if (c.self && t.ownerUserId !== undefined && t.ownerUserId !== p.userId) return false
  return true
}

/** True when the target lies in a tenant the caller may reach at all. */
export function reaches(p: Principal, tenantId: string): boolean {
  return p.crossTenant || tenantId === p.tenantId
}

/** The caller may do this to this target (tenant, classification, backend, owner). */
export function allows(p: Principal, resource: Resource, action: Action, t: Target = {}): boolean {
  if (t.tenantId !== undefined && !reaches(p, t.tenantId)) return false
  if (t.classification === 'phi' && !p.phiAccess) return false
  return p.grants.some((g) => names(g, resource, action) && holds(p, g.conditions, t))
}

/**
 * The coarse check made before a method runs: does any permission name the
 * resource and action at all? Conditions about the target are checked later,
 * once the target is known.
 */
export function mayEver(p: Principal, resource: Resource, action: Action): boolean {
  return p.grants.some((g) => names(g, resource, action) && holds(p, g.conditions, {}))
}

export interface JobScope {
  /** Undefined: every tenant (system_admin only). */
  tenantId?: string
  /** Only jobs this user submitted. */
  submittedBy?: string
  /** Only these classifications; undefined: all. */
  classifications?: Classification[]
}

/** The jobs a caller may list, as store filters, derived from its job:read grants. */
export function jobReadScope(p: Principal): JobScope | null {
  const grants = p.grants.filter((g) => names(g, 'job', 'read') && holds(p, g.conditions, {}))
  if (grants.length === 0) return null
  const scope: JobScope = { tenantId: p.crossTenant ? undefined : p.tenantId }
  if (grants.every((g) => g.conditions?.self)) scope.submittedBy = p.userId
  let classes: Set<Classification> | undefined
  if (grants.every((g) => g.conditions?.classifications)) {
    classes = new Set(grants.flatMap((g) => g.conditions!.classifications!))
  }
  if (!p.phiAccess) {
    classes ??= new Set(['phi', 'de-identified', 'public'])
    classes.delete('phi')
  }
  if (classes) scope.classifications = [...classes]
  return scope
}

function subset<T>(narrow: readonly T[] | undefined, wide: readonly T[] | undefined): boolean {
  if (wide === undefined) return true
  return narrow !== undefined && narrow.every((x) => wide.includes(x))
}

/** `grant` allows at least everything `want` does (conditions no narrower). */
function covers(grant: Permission, want: Permission): boolean {
  if (!(grant.resource === '*' || grant.resource === want.resource)) return false
  if (!(grant.action === '*' || grant.action === want.action)) return false
  const g = grant.conditions ?? {}
  const w = want.conditions ?? {}
  if (g.self && !w.self) return false
  return subset(w.classifications, g.classifications) && subset(w.backends, g.backends) && subset(w.tenants, g.tenants)
}

/**
 * Why the caller may not hand out this role (a user added with it, or a
 * token for a user who has it), or null when it may: a caller never grants
 * more than it holds. Crossing tenants, PHI access and every permission of
 * the role must be the caller's too; system_admin may grant any role.
 */
export function whyNotGrantable(p: Principal, roleName: string, role: Role): string | null {
  if (p.crossTenant) return null
  if (role.cross_tenant) return `role ${roleName} crosses tenants`
  if (role.phi_access && !p.phiAccess) return `role ${roleName} has PHI access, which ${p.role} lacks`
  for (const want of role.permissions) {
    if (!p.grants.some((g) => covers(g, want))) {
      const cond = want.conditions ? ` ${JSON.stringify(want.conditions)}` : ''
      return `role ${roleName} may ${want.action} ${want.resource}${cond}, which ${p.role} may not`
    }
  }
  return null
}
