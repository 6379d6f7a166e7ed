// SPDX-License-Identifier: Apache-2.0
// The syntax tree the parser hands to the expander. One tree serves both
// language versions; the parser has already refused what a version lacks.

import type { Pos } from './errors'

export type BinOp = '+' | '-' | '*' | '/' | '^'

/** `d` is the node's height, so evaluation depth is known before evaluating. */
export type Expr =
  | { k: 'num'; v: number; int: boolean; d: number; pos: Pos }
  | { k: 'id'; name: string; d: number; pos: Pos }
  | { k: 'neg'; a: Expr; d: number; pos: Pos }
  | { k: 'bin'; op: BinOp; a: Expr; b: Expr; d: number; pos: Pos }
  | { k: 'fn'; fn: string; a: Expr; d: number; pos: Pos }

/** A qubit or bit operand: a whole register when `index` is undefined. */
export interface Arg {
  name: string
  index?: number
  /** The name's position, where "undeclared" errors point. */
  pos: Pos
  /** Position of the index, where "out of range" errors point. */
  indexPos?: Pos
}

export interface Modifier {
  k: 'inv' | 'ctrl' | 'negctrl' | 'pow'
  arg?: Expr
  pos: Pos
}

export interface Named {
  name: string
  pos: Pos
}

export interface Condition {
  reg: Named
  /** A single bit of `reg` when defined. */
  index?: number
  indexPos?: Pos
  value: bigint
  /** True for `!=` and `!c[i]`. */
  negate: boolean
  pos: Pos
}

export type Stmt =
  | { k: 'include'; file: string; pos: Pos }
  | { k: 'qreg'; name: string; size: number; pos: Pos; sizePos: Pos }
  | { k: 'creg'; name: string; size: number; pos: Pos; sizePos: Pos; init?: Arg }
  | { k: 'const'; name: string; int: boolean; value: Expr; pos: Pos }
  | { k: 'gate'; name: string; params: Named[]; qubits: Named[]; body: Stmt[]; pos: Pos }
  | { k: 'opaque'; name: string; params: number; qubits: number; pos: Pos }
  | { k: 'call'; name: string; mods: Modifier[]; params: Expr[]; args: Arg[]; pos: Pos }
  | { k: 'measure'; q: Arg; c: Arg; pos: Pos }
  | { k: 'reset'; q: Arg; pos: Pos }
  | { k: 'barrier'; args: Arg[]; pos: Pos }
  | { k: 'if'; cond: Condition; then: Stmt[]; else?: Stmt[]; pos: Pos }

export interface Program {
  version: string
  /** Highest `$n` seen plus one; 0 when the program names no physical qubit. */
  physicalQubits: number
  /** Where the highest `$n` appears, when there is one. */
  physicalPos?: Pos
  stmts: Stmt[]
}
