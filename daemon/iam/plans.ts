// SPDX-License-Identifier: Apache-2.0
// Plans and their monthly limits, from the platform's billing model. A
// tenant's overrides replace single limits; `custom` starts with no limits
// and takes its figures from the overrides. null means unlimited.
export const PLANS = ['free', 'professional', 'enterprise', 'research', 'custom'] as const
export type Plan = (typeof PLANS)[number]
export const SUBSCRIPTION_STATES = ['trial', 'active', 'suspended', 'canceled'] as const
export type SubscriptionState = (typeof SUBSCRIPTION_STATES)[number]

export const TRIAL_DAYS = 14
export const DAY_MS = 86_400_000
const GB = 1024 ** 3

export interface Limits {
  jobsPerMonth: number | null
  users: number | null
  storageBytes: number | null
  /** Longest a job of the tenant may run; null: the host's jobTimeoutMs. */
  jobTimeoutSeconds: number | null
  /** Most CPUs one job of the tenant may get; null: the host's bound. */
  cpusPerJob: number | null
}

export const PLAN_LIMITS: Readonly<Record<Plan, Readonly<Limits>>> = {
  free: { jobsPerMonth: 100, users: 10, storageBytes: 10 * GB, jobTimeoutSeconds: null, cpusPerJob: null },
  professional: { jobsPerMonth: 1_000, users: 50, storageBytes: 100 * GB, jobTimeoutSeconds: null, cpusPerJob: null },
  enterprise: { jobsPerMonth: 10_000, users: null, storageBytes: 1024 * GB, jobTimeoutSeconds: null, cpusPerJob: null },
  research: { jobsPerMonth: 5_000, users: 100, storageBytes: 500 * GB, jobTimeoutSeconds: null, cpusPerJob: null },
  custom: { jobsPerMonth: null, users: null, storageBytes: null, jobTimeoutSeconds: null, cpusPerJob: null },
}

export function isPlan(v: string): v is Plan {
  return (PLANS as readonly string[]).includes(v)
}

export function effectiveLimits(plan: Plan, overrides: Partial<Limits>): Limits {
  return { ...PLAN_LIMITS[plan], ...overrides }
}
