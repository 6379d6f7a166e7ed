// SPDX-License-Identifier: Apache-2.0
// Parameter expressions: parsing with an explicit depth bound (a million
// nested parentheses must not reach the JS stack limit), constant folding
// (so that a long chain of literals stays one node), and evaluation.

import { limitError, semanticError, syntaxError, unsupported, type Pos } from './errors'
import type { BinOp, Expr } from './ast'
import type { Cursor } from './cursor'
import { describe } from './lexer'

export interface ExprOptions {
  v3: boolean
  maxDepth: number
}

/** A value with its OpenQASM 3 type: integer arithmetic divides exactly. */
export interface Val {
  v: number
  int: boolean
}

export type Scope = (name: string) => Val | undefined

const FUNCTIONS_V2 = new Set(['sin', 'cos', 'tan', 'exp', 'ln', 'sqrt'])
const FUNCTIONS_V3 = new Set([...FUNCTIONS_V2, 'arcsin', 'arccos', 'arctan'])

const CONSTANTS_V2: Record<string, number> = { pi: Math.PI }
const CONSTANTS_V3: Record<string, number> = {
  pi: Math.PI, 'π': Math.PI, tau: 2 * Math.PI, 'τ': 2 * Math.PI, euler: Math.E, 'ℇ': Math.E,
}

export function isBuiltinConstant(name: string, v3: boolean): boolean {
  return Object.hasOwn(v3 ? CONSTANTS_V3 : CONSTANTS_V2, name)
}

// Binding powers: additive < multiplicative < unary minus < power.
const INFIX: Record<string, { bp: number; op: BinOp; right: boolean }> = {
  '+': { bp: 10, op: '+', right: false },
  '-': { bp: 10, op: '-', right: false },
  '*': { bp: 20, op: '*', right: false },
  '/': { bp: 20, op: '/', right: false },
}
const UNARY_BP = 30
const POWER_BP = 40

export function parseExpr(cur: Cursor, opt: ExprOptions): Expr {
  return parseBp(cur, opt, 0, 1)
}

function checkDepth(pos: Pos, d: number, opt: ExprOptions): void {
  if (d > opt.maxDepth) {
    throw limitError(pos, `expression nests deeper than ${opt.maxDepth} levels, above the limit (maxExprDepth)`)
  }
}

function parseBp(cur: Cursor, opt: ExprOptions, minBp: number, depth: number): Expr {
  const first = cur.peek()
  checkDepth(first, depth, opt)
  let left = parsePrefix(cur, opt, depth)
  for (;;) {
    const t = cur.peek()
    if (t.kind !== 'punct') break
    const powerOp = opt.v3 ? '**' : '^'
    if (t.text === powerOp) {
      if (POWER_BP < minBp) break
      cur.next()
      // Right-associative: the right side may hold another power.
      const right = parseBp(cur, opt, POWER_BP, depth + 1)
      left = makeBin('^', left, right, t, opt)
      continue
    }
    if (opt.v3 && t.text === '^') throw unsupported(t, 'bitwise "^" in an expression (use "**" for a power)')
    const info = INFIX[t.text]
    if (info === undefined || info.bp < minBp) break
    cur.next()
    const right = parseBp(cur, opt, info.bp + 1, depth + 1)
    left = makeBin(info.op, left, right, t, opt)
  }
  return left
}

function parsePrefix(cur: Cursor, opt: ExprOptions, depth: number): Expr {
  const t = cur.next()
  if (t.kind === 'int' || t.kind === 'real') {
    return { k: 'num', v: Number(t.text), int: t.kind === 'int', d: 1, pos: t }
  }
  if (t.kind === 'punct' && (t.text === '-' || t.text === '+')) {
    const a = parseBp(cur, opt, UNARY_BP, depth + 1)
    if (t.text === '+') return a
    if (a.k === 'num') return { ...a, v: -a.v, pos: t }
    return depthChecked({ k: 'neg', a, d: a.d + 1, pos: t }, opt)
  }
  if (t.kind === 'punct' && t.text === '(') {
    const e = parseBp(cur, opt, 0, depth + 1)
    cur.expect(')', 'to close "("')
    return e
  }
  if (t.kind === 'id') {
    const fns = opt.v3 ? FUNCTIONS_V3 : FUNCTIONS_V2
    if (fns.has(t.text)) {
      cur.expect('(', `after function ${t.text}`)
      const a = parseBp(cur, opt, 0, depth + 1)
      cur.expect(')', `to close the argument of ${t.text}`)
      if (a.k === 'num') return { k: 'num', v: applyFn(t.text, a.v), int: false, d: 1, pos: t }
      return depthChecked({ k: 'fn', fn: t.text, a, d: a.d + 1, pos: t }, opt)
    }
    const c = (opt.v3 ? CONSTANTS_V3 : CONSTANTS_V2)[t.text]
    if (c !== undefined && Object.hasOwn(opt.v3 ? CONSTANTS_V3 : CONSTANTS_V2, t.text)) {
      return { k: 'num', v: c, int: false, d: 1, pos: t }
    }
    if (cur.at('(')) throw unsupported(t, `function "${t.text}" in an expression`)
    return { k: 'id', name: t.text, d: 1, pos: t }
  }
  throw syntaxError(t, `expected an expression, found ${describe(t)}`)
}

function depthChecked(e: Expr, opt: ExprOptions): Expr {
  checkDepth(e.pos, e.d, opt)
  return e
}

function makeBin(op: BinOp, a: Expr, b: Expr, pos: Pos, opt: ExprOptions): Expr {
  if (a.k === 'num' && b.k === 'num') {
    const r = applyBin(op, a, b, opt.v3)
    return { k: 'num', v: r.v, int: r.int, d: 1, pos: a.pos }
  }
  return depthChecked({ k: 'bin', op, a, b, d: Math.max(a.d, b.d) + 1, pos }, opt)
}

function applyFn(fn: string, x: number): number {
  switch (fn) {
    case 'sin': return Math.sin(x)
    case 'cos': return Math.cos(x)
    case 'tan': return Math.tan(x)
    case 'exp': return Math.exp(x)
    case 'ln': return Math.log(x)
    case 'sqrt': return Math.sqrt(x)
    case 'arcsin': return Math.asin(x)
    case 'arccos': return Math.acos(x)
    default: return Math.atan(x)
  }
}

function applyBin(op: BinOp, a: Val, b: Val, v3: boolean): Val {
  // Only OpenQASM 3 has integer types; in 2.0 every value is real.
  const int = v3 && a.int && b.int
  switch (op) {
    case '+': return { v: a.v + b.v, int }
    case '-': return { v: a.v - b.v, int }
    case '*': return { v: a.v * b.v, int }
    case '/': return int && b.v !== 0 ? { v: Math.trunc(a.v / b.v), int } : { v: a.v / b.v, int: false }
    case '^': return { v: a.v ** b.v, int: int && b.v >= 0 }
  }
}

/** Evaluate; recursion is bounded by the height checked at parse time. */
export function evaluate(e: Expr, scope: Scope, v3: boolean): Val {
  switch (e.k) {
    case 'num': return e
    case 'id': {
      const v = scope(e.name)
      if (v === undefined) throw semanticError(e.pos, `undeclared identifier "${e.name}" in an expression`)
      return v
    }
    case 'neg': {
      const a = evaluate(e.a, scope, v3)
      return { v: -a.v, int: a.int }
    }
    case 'fn': return { v: applyFn(e.fn, evaluate(e.a, scope, v3).v), int: false }
    case 'bin': return applyBin(e.op, evaluate(e.a, scope, v3), evaluate(e.b, scope, v3), v3)
  }
}

/** A gate parameter: must come out as a finite real number. */
export function evalReal(e: Expr, scope: Scope, v3: boolean): number {
  const v = evaluate(e, scope, v3).v
  if (!Number.isFinite(v)) throw semanticError(e.pos, `expression evaluates to ${v}, expected a finite number`)
  return v
}
