// SPDX-License-Identifier: Apache-2.0
// Bounds on what one submitted circuit may cost the daemon to parse. Each is
// checked as soon as the quantity is known, so hostile input fails in time
// proportional to the limit rather than to what the input asks for.

export interface ParseLimits {
  /** UTF-8 bytes of source text; checked before anything else. */
  maxSourceBytes: number
  /** Qubits over all quantum registers (or highest `$n` + 1). */
  maxQubits: number
  /** Classical bits over all classical registers. */
  maxClbits: number
  /** Size of any one register, quantum or classical. */
  maxRegisterSize: number
  /** Primitive operations after expansion of every gate. */
  maxOps: number
  /** How deeply gate definitions may call one another. */
  maxGateDepth: number
  /** Nesting of an expression (parentheses, operators, calls). */
  maxExprDepth: number
  /** Tokens in the source. */
  maxTokens: number
}

export const DEFAULT_LIMITS: Readonly<ParseLimits> = Object.freeze({
  maxSourceBytes: 4 * 1024 * 1024,
  maxQubits: 64,
  maxClbits: 4096,
  maxRegisterSize: 4096,
  maxOps: 5_000_000,
  maxGateDepth: 64,
  maxExprDepth: 200,
  maxTokens: 2_000_000,
})

export function resolveLimits(overrides?: Partial<ParseLimits>): ParseLimits {
  const out: ParseLimits = { ...DEFAULT_LIMITS }
  if (overrides === undefined) return out
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof ParseLimits)[]) {
    const v = overrides[key]
    if (v === undefined) continue
    if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) {
      throw new TypeError(`parse limit ${key} must be a finite number >= 0, got ${String(v)}`)
    }
    out[key] = v
  }
  return out
}
