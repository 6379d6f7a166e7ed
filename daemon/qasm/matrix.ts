// SPDX-License-Identifier: Apache-2.0
// Small complex matrices in the IR's layout: row-major, interleaved re/im.
// The standard gates use Qiskit's exact matrices, phases included, because a
// phase that is global for a gate stops being global once the gate is
// controlled.

export type Mat = number[]

const cis = (a: number): [number, number] => [Math.cos(a), Math.sin(a)]

export function mat2(
  a: [number, number], b: [number, number], c: [number, number], d: [number, number],
): Mat {
  return [a[0], a[1], b[0], b[1], c[0], c[1], d[0], d[1]]
}

export function u3Matrix(theta: number, phi: number, lambda: number): Mat {
  const c = Math.cos(theta / 2)
  const s = Math.sin(theta / 2)
  const [lr, li] = cis(lambda)
  const [pr, pi] = cis(phi)
  const [qr, qi] = cis(phi + lambda)
  return mat2([c, 0], [-lr * s, -li * s], [pr * s, pi * s], [qr * c, qi * c])
}

export function phaseMatrix(lambda: number): Mat {
  return mat2([1, 0], [0, 0], [0, 0], cis(lambda))
}

export function rxMatrix(theta: number): Mat {
  const c = Math.cos(theta / 2)
  const s = Math.sin(theta / 2)
  return mat2([c, 0], [0, -s], [0, -s], [c, 0])
}

export function ryMatrix(theta: number): Mat {
  const c = Math.cos(theta / 2)
  const s = Math.sin(theta / 2)
  return mat2([c, 0], [-s, 0], [s, 0], [c, 0])
}

export function rzMatrix(lambda: number): Mat {
  return mat2(cis(-lambda / 2), [0, 0], [0, 0], cis(lambda / 2))
}

/** e^{i gamma} times m. */
export function scale(m: Mat, gamma: number): Mat {
  const [gr, gi] = cis(gamma)
  const out: Mat = new Array(m.length)
  for (let k = 0; k < m.length; k += 2) {
    out[k] = m[k] * gr - m[k + 1] * gi
    out[k + 1] = m[k] * gi + m[k + 1] * gr
  }
  return out
}

/** Conjugate transpose of an n x n matrix. */
export function dagger(m: Mat): Mat {
  const n = Math.round(Math.sqrt(m.length / 2))
  const out: Mat = new Array(m.length)
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const src = 2 * (c * n + r)
      const dst = 2 * (r * n + c)
      out[dst] = m[src]
      out[dst + 1] = -m[src + 1]
    }
  }
  return out
}

// Two-qubit rotations exp(-i theta/2 P) for a Pauli product P. `flip` is the
// basis-index XOR that P applies and `factor(i)` the complex factor it picks
// up on basis state i; bit 0 of the index is the gate's first qubit.
function pauliRotation(theta: number, flip: number, factor: (i: number) => [number, number]): Mat {
  const c = Math.cos(theta / 2)
  const s = Math.sin(theta / 2)
  const m: Mat = new Array(32).fill(0)
  for (let i = 0; i < 4; i++) {
    m[2 * (i * 4 + i)] = c
    const [fr, fi] = factor(i)
    // -i s (fr + i fi) = s fi - i s fr, placed at row i^flip, column i.
    const at = 2 * ((i ^ flip) * 4 + i)
    m[at] += s * fi
    m[at + 1] += -s * fr
  }
  return m
}

const yFactor = (bit: number): [number, number] => (bit === 0 ? [0, 1] : [0, -1])
const cmul = (a: [number, number], b: [number, number]): [number, number] =>
  [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]]

export const rxxMatrix = (t: number): Mat => pauliRotation(t, 3, () => [1, 0])
export const ryyMatrix = (t: number): Mat =>
  pauliRotation(t, 3, (i) => cmul(yFactor(i & 1), yFactor((i >> 1) & 1)))
export const rzzMatrix = (t: number): Mat =>
  pauliRotation(t, 0, (i) => [((i & 1) ^ ((i >> 1) & 1)) === 0 ? 1 : -1, 0])
/** Z on the first qubit, X on the second, as Qiskit's RZXGate. */
export const rzxMatrix = (t: number): Mat => pauliRotation(t, 2, (i) => [(i & 1) === 0 ? 1 : -1, 0])

const H = Math.SQRT1_2
export const X: Mat = mat2([0, 0], [1, 0], [1, 0], [0, 0])
export const Y: Mat = mat2([0, 0], [0, -1], [0, 1], [0, 0])
export const Z: Mat = mat2([1, 0], [0, 0], [0, 0], [-1, 0])
export const HAD: Mat = mat2([H, 0], [H, 0], [H, 0], [-H, 0])
export const S: Mat = mat2([1, 0], [0, 0], [0, 0], [0, 1])
export const SDG: Mat = mat2([1, 0], [0, 0], [0, 0], [0, -1])
export const T: Mat = phaseMatrix(Math.PI / 4)
export const TDG: Mat = phaseMatrix(-Math.PI / 4)
export const SX: Mat = mat2([0.5, 0.5], [0.5, -0.5], [0.5, -0.5], [0.5, 0.5])
export const SXDG: Mat = mat2([0.5, -0.5], [0.5, 0.5], [0.5, 0.5], [0.5, -0.5])
