// SPDX-License-Identifier: Apache-2.0
// The clock that trials, token expiry and the usage month are read from.
// Tests set Z3BRA_TEST_NOW_MS (milliseconds since the epoch) to stand the
// daemon at a chosen instant, e.g. past a trial's end; it is read only when
// set, and production units never set it (docs/iam.md).
export type Clock = () => number

export function iamClock(env: NodeJS.ProcessEnv = process.env): Clock {
  const fixed = env.Z3BRA_TEST_NOW_MS
  if (fixed === undefined || fixed === '') return Date.now
  const ms = Number(fixed)
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new Error(`Z3BRA_TEST_NOW_MS must be milliseconds since the epoch; got "${fixed}"`)
  }
  return () => ms
}

/** The UTC calendar month of `ms`, as YYYY-MM. */
export function monthOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7)
}

/** First and one-past-last millisecond of a YYYY-MM month, UTC. */
export function monthBounds(month: string): { start: number; end: number } {
  const m = /^(\d{4})-(\d{2})$/.exec(month)
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) throw new RangeError(`Expected a month as YYYY-MM; got "${month}"`)
  const y = Number(m[1])
  const mo = Number(m[2]) - 1
  return { start: Date.UTC(y, mo, 1), end: Date.UTC(y, mo + 1, 1) }
}
