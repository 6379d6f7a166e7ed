// SPDX-License-Identifier: Apache-2.0
// Gate modifiers as transformations of a recorded op sequence: `ctrl` adds
// controls to every op (a product of controlled ops is the controlled
// product), `inv` reverses the sequence and takes each op's adjoint, `pow`
// repeats it. A global phase becomes a phase gate on the controls once
// controlled, which is the one place where it is observable.

import { limitError, type Pos } from './errors'
import { X, dagger, phaseMatrix, type Mat } from './matrix'
import type { Sink } from './std-gates'

type Recorded =
  | { k: 'u'; t: number; m: Mat; c: number[] }
  | { k: 'swap'; a: number; b: number; c: number[] }
  | { k: 'u2'; a: number; b: number; m: Mat }
  | { k: 'g'; theta: number }

/** Records what a gate writes, for a modifier to transform and replay. */
export class Recorder implements Sink {
  readonly ops: Recorded[] = []

  constructor(
    readonly decompose: boolean,
    private readonly maxOps: number,
    private readonly pos: Pos,
  ) {}

  private push(op: Recorded): void {
    if (this.ops.length >= this.maxOps) {
      throw limitError(this.pos, `circuit expands to more than ${this.maxOps} operations, above the limit (maxOps)`)
    }
    this.ops.push(op)
  }

  u(t: number, m: Mat, c: number[]): void {
    this.push({ k: 'u', t, m, c })
  }

  swap(a: number, b: number, c: number[]): void {
    this.push({ k: 'swap', a, b, c })
  }

  u2(a: number, b: number, m: Mat): void {
    this.push({ k: 'u2', a, b, m })
  }

  gphase(theta: number): void {
    this.push({ k: 'g', theta })
  }
}

export function replayControlled(rec: Recorder, controls: number[], out: Sink): void {
  const last = controls[controls.length - 1]
  const rest = controls.slice(0, -1)
  for (const op of rec.ops) {
    switch (op.k) {
      case 'u':
        out.u(op.t, op.m, [...controls, ...op.c])
        break
      case 'swap':
        out.swap(op.a, op.b, [...controls, ...op.c])
        break
      case 'g':
        out.u(last, phaseMatrix(op.theta), rest)
        break
      case 'u2':
        // Recorders made for ctrl ask for decomposition, so no gate writes one.
        throw new Error('two-qubit matrix under a control modifier')
    }
  }
}

export function replayInverse(rec: Recorder, out: Sink): void {
  for (let i = rec.ops.length - 1; i >= 0; i--) {
    const op = rec.ops[i]
    switch (op.k) {
      case 'u':
        out.u(op.t, dagger(op.m), op.c)
        break
      case 'swap':
        out.swap(op.a, op.b, op.c)
        break
      case 'u2':
        out.u2(op.a, op.b, dagger(op.m))
        break
      case 'g':
        out.gphase(-op.theta)
        break
    }
  }
}

/** X on each qubit: a negative control is a control between two flips. */
export function flip(qubits: number[], out: Sink): void {
  for (const q of qubits) out.u(q, X, [])
}
