// SPDX-License-Identifier: Apache-2.0
// Goodness of fit for sampled counts against an exact distribution.

/** Regularised upper incomplete gamma Q(a, x), by series or continued fraction. */
function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1
  const lnGa = lnGamma(a)
  if (x < a + 1) {
    let sum = 1 / a
    let term = sum
    for (let n = 1; n < 10_000; n++) {
      term *= x / (a + n)
      sum += term
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break
    }
    return 1 - sum * Math.exp(-x + a * Math.log(x) - lnGa)
  }
  let b = x + 1 - a
  let c = 1 / 1e-300
  let d = 1 / b
  let h = d
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a)
    b += 2
    d = an * d + b
    if (Math.abs(d) < 1e-300) d = 1e-300
    c = b + an / c
    if (Math.abs(c) < 1e-300) c = 1e-300
    d = 1 / d
    const del = d * c
    h *= del
    if (Math.abs(del - 1) < 1e-15) break
  }
  return Math.exp(-x + a * Math.log(x) - lnGa) * h
}

function lnGamma(z: number): number {
  const g = [676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7]
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - lnGamma(1 - z)
  z -= 1
  let x = 0.99999999999980993
  for (let i = 0; i < g.length; i++) x += g[i] / (z + i + 1)
  const t = z + g.length - 0.5
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(x)
}

export interface ChiSquare {
  statistic: number
  dof: number
  pValue: number
  /** Outcomes sampled that the exact distribution gives probability 0. */
  impossible: string[]
}

/**
 * Pearson's test; outcomes expected fewer than 5 times are pooled into one
 * bin so the statistic's chi-square approximation holds.
 */
export function chiSquare(counts: Record<string, number>, probs: Record<string, number>): ChiSquare {
  const shots = Object.values(counts).reduce((a, b) => a + b, 0)
  const impossible = Object.keys(counts).filter((k) => !(k in probs) || probs[k] <= 1e-20)
  let stat = 0
  let bins = 0
  let poolObs = 0
  let poolExp = 0
  for (const [k, p] of Object.entries(probs)) {
    const e = p * shots
    const o = counts[k] ?? 0
    if (e < 5) {
      poolObs += o
      poolExp += e
      continue
    }
    stat += ((o - e) * (o - e)) / e
    bins++
  }
  if (poolExp > 0) {
    stat += ((poolObs - poolExp) * (poolObs - poolExp)) / Math.max(poolExp, 1e-12)
    bins++
  }
  const dof = Math.max(1, bins - 1)
  return { statistic: stat, dof, pValue: gammaQ(dof / 2, stat / 2), impossible }
}
