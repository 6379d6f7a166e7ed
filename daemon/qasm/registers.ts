// SPDX-License-Identifier: Apache-2.0
// Register declarations and the resolution of operands to global bit
// indices, with the size limits checked at the declaration that crosses them.

import type { Register } from '../circuit/ir'
import type { Arg } from './ast'
import { limitError, semanticError, type Pos } from './errors'
import type { ParseLimits } from './limits'

interface Declared extends Register {
  quantum: boolean
  pos: Pos
}

/** An operand after resolution: one bit, or every bit of a register. */
export interface Resolved {
  bits: number[]
  /** True when the operand named a whole register. */
  whole: boolean
  arg: Arg
}

export class Registers {
  readonly qregs: Register[] = []
  readonly cregs: Register[] = []
  numQubits = 0
  numClbits = 0
  private readonly byName = new Map<string, Declared>()

  constructor(private readonly limits: ParseLimits) {}

  /** Names share one namespace with constants; `taken` reports other owners. */
  has(name: string): Pos | undefined {
    return this.byName.get(name)?.pos
  }

  declare(quantum: boolean, name: string, size: number, pos: Pos, sizePos: Pos): Register {
    const what = quantum ? 'qubits' : 'clbits'
    if (!Number.isSafeInteger(size) || size > this.limits.maxRegisterSize) {
      throw limitError(sizePos, `register ${name} has size ${size}, above the limit of ${this.limits.maxRegisterSize} (maxRegisterSize)`)
    }
    if (size < 1) throw semanticError(sizePos, `register ${name} has size ${size}, expected at least 1`)
    const total = (quantum ? this.numQubits : this.numClbits) + size
    const max = quantum ? this.limits.maxQubits : this.limits.maxClbits
    if (total > max) {
      throw limitError(pos, `circuit needs ${total} ${what}, above the limit of ${max} (${quantum ? 'maxQubits' : 'maxClbits'})`)
    }
    const reg: Register = { name, size, offset: total - size }
    if (quantum) {
      this.qregs.push(reg)
      this.numQubits = total
    } else {
      this.cregs.push(reg)
      this.numClbits = total
    }
    this.byName.set(name, { ...reg, quantum, pos })
    return reg
  }

  resolve(arg: Arg, quantum: boolean): Resolved {
    const reg = this.byName.get(arg.name)
    const kind = quantum ? 'quantum' : 'classical'
    if (reg === undefined) {
      const what = arg.name === '$' ? 'physical qubit' : `${kind} register "${arg.name}"`
      throw semanticError(arg.pos, `undeclared ${what}`)
    }
    if (reg.quantum !== quantum) {
      throw semanticError(arg.pos, `"${arg.name}" is a ${reg.quantum ? 'quantum' : 'classical'} register, expected a ${kind} register`)
    }
    if (arg.index === undefined) {
      const bits = new Array<number>(reg.size)
      for (let i = 0; i < reg.size; i++) bits[i] = reg.offset + i
      return { bits, whole: true, arg }
    }
    if (arg.index >= reg.size) {
      throw semanticError(arg.indexPos ?? arg.pos, `index ${arg.index} is out of range for register ${arg.name} of size ${reg.size}`)
    }
    return { bits: [reg.offset + arg.index], whole: false, arg }
  }
}

export function argText(a: Arg, i?: number): string {
  if (a.name === '$') return `$${a.index}`
  const index = a.index ?? i
  return index === undefined ? a.name : `${a.name}[${index}]`
}

/**
 * The number of calls a broadcast statement makes: every whole-register
 * operand must have the same size, and single bits are repeated.
 */
export function broadcastWidth(ops: Resolved[]): number {
  let width = 1
  let first: Resolved | undefined
  for (const r of ops) {
    if (!r.whole) continue
    if (first === undefined) {
      first = r
      width = r.bits.length
    } else if (r.bits.length !== width) {
      throw semanticError(r.arg.pos, `registers in one statement must have equal sizes: ${first.arg.name} has ${width}, ${r.arg.name} has ${r.bits.length}`)
    }
  }
  return width
}

export const bitAt = (r: Resolved, i: number): number => (r.whole ? r.bits[i] : r.bits[0])
