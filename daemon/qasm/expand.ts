// SPDX-License-Identifier: Apache-2.0
// From syntax tree to circuit IR: declarations, gate resolution, broadcast,
// user-gate expansion with numeric parameters, modifiers and conditions.
// Each gate's op count is known at its definition, so a call whose expansion
// would pass maxOps is refused before a single op of it is written.

import type { Circuit, CondOp, Op } from '../circuit/ir'
import type { Arg, Expr, Modifier, Named, Program, Stmt } from './ast'
import { limitError, semanticError, unsupported, type Pos } from './errors'
import { evalReal, evaluate, isBuiltinConstant, type Scope, type Val } from './expr'
import type { ParseLimits } from './limits'
import type { Mat } from './matrix'
import { Recorder, flip, replayControlled, replayInverse } from './modifiers'
import { Registers, argText, bitAt, broadcastWidth } from './registers'
import {
  BUILTINS_V2, BUILTINS_V3, QELIB1, QELIB1_CLASSIC, STD, STDGATES, STDGATES_EXTRA, stdCost, type Sink, type StdGate,
} from './std-gates'

type GateDef =
  | { k: 'std'; name: string; g: StdGate; params: number; qubits: number; cost: number; ctrlCost: number; depth: 0; pos?: Pos }
  | { k: 'user'; name: string; params: number; qubits: number; cost: number; ctrlCost: number; depth: number; def: Extract<Stmt, { k: 'gate' }>; pos: Pos }
  | { k: 'opaque'; name: string; params: number; qubits: number; pos: Pos }

type Call = Extract<Stmt, { k: 'call' }>
type Cond = { bits: number[]; value: bigint }

const COST_CACHE = new Map<string, [number, number]>()
function stdDef(name: string): GateDef {
  const g = STD[name]
  let c = COST_CACHE.get(name)
  if (c === undefined) {
    c = [stdCost(g, false), stdCost(g, true)]
    COST_CACHE.set(name, c)
  }
  return { k: 'std', name, g, params: g.params, qubits: g.qubits, cost: c[0], ctrlCost: c[1], depth: 0 }
}

export function expand(prog: Program, limits: ParseLimits): Circuit {
  return new Expander(prog, limits).run()
}

class Expander implements Sink {
  readonly decompose = false
  private readonly v3: boolean
  private readonly regs: Registers
  private readonly gates = new Map<string, GateDef>()
  private readonly consts = new Map<string, { val: Val; pos: Pos }>()
  private readonly ops: Op[] = []
  private gateCount = 0
  private cond: Cond | undefined
  private budgetPos: Pos = { line: 1, column: 1 }
  private readonly globalScope: Scope = (n) => this.consts.get(n)?.val

  constructor(private readonly prog: Program, private readonly limits: ParseLimits) {
    this.v3 = prog.version.startsWith('3')
    this.regs = new Registers(limits)
    for (const name of this.v3 ? BUILTINS_V3 : BUILTINS_V2) this.gates.set(name, stdDef(name))
  }

  run(): Circuit {
    const p = this.prog
    if (p.physicalQubits > 0) {
      const pos = p.physicalPos ?? { line: 1, column: 1 }
      this.regs.declare(true, '$', p.physicalQubits, pos, pos)
    }
    for (const s of p.stmts) this.statement(s)
    return {
      version: p.version,
      numQubits: this.regs.numQubits,
      numClbits: this.regs.numClbits,
      qregs: this.regs.qregs,
      cregs: this.regs.cregs,
      ops: this.ops,
      gateCount: this.gateCount,
    }
  }

  private checkFree(name: string, pos: Pos): void {
    const prev = this.regs.has(name) ?? this.consts.get(name)?.pos
    if (prev !== undefined) throw semanticError(pos, `"${name}" is already declared (line ${prev.line})`)
    if (isBuiltinConstant(name, this.v3)) throw semanticError(pos, `"${name}" is a built-in constant and cannot be redeclared`)
  }

  private statement(s: Stmt): void {
    switch (s.k) {
      case 'include': return this.include(s.file, s.pos)
      case 'qreg':
        if (this.prog.physicalQubits > 0) {
          throw semanticError(s.pos, 'declared qubits cannot be mixed with physical qubits ($n)')
        }
        this.checkFree(s.name, s.pos)
        this.regs.declare(true, s.name, s.size, s.pos, s.sizePos)
        return
      case 'creg':
        this.checkFree(s.name, s.pos)
        this.regs.declare(false, s.name, s.size, s.pos, s.sizePos)
        if (s.init) this.measure(s.init, { name: s.name, pos: s.pos }, s.pos)
        return
      case 'const': {
        this.checkFree(s.name, s.pos)
        const val = evaluate(s.value, this.globalScope, true)
        if (s.int && !val.int) throw semanticError(s.value.pos, `constant ${s.name} is declared int but its value is not an integer`)
        this.consts.set(s.name, { val: s.int ? val : { v: val.v, int: false }, pos: s.pos })
        return
      }
      case 'gate': return this.defineGate(s)
      case 'opaque': {
        this.checkGateFree(s.name, s.pos)
        this.gates.set(s.name, { k: 'opaque', name: s.name, params: s.params, qubits: s.qubits, pos: s.pos })
        return
      }
      case 'call': return this.topCall(s)
      case 'measure': return this.measure(s.q, s.c, s.pos)
      case 'reset': {
        const r = this.regs.resolve(s.q, true)
        for (const q of r.bits) this.push({ kind: 'reset', qubit: q })
        return
      }
      case 'barrier':
        for (const a of s.args) this.regs.resolve(a, true)
        return
      case 'if': return this.ifStmt(s)
    }
  }

  private include(file: string, pos: Pos): void {
    const wanted = this.v3 ? 'stdgates.inc' : 'qelib1.inc'
    if (file !== wanted) {
      throw unsupported(pos, `include "${file}": only "${wanted}" is available in OpenQASM ${this.prog.version}`)
    }
    for (const name of this.v3 ? [...STDGATES, ...STDGATES_EXTRA] : QELIB1) {
      if (!this.gates.has(name)) this.gates.set(name, stdDef(name))
    }
  }

  private checkGateFree(name: string, pos: Pos): void {
    const prev = this.gates.get(name)
    if (prev === undefined) return
    // Files written against the original qelib1.inc often define gates that
    // Qiskit's version added later (rzz, cp, ...): theirs wins, as in Qiskit.
    if (prev.k === 'std') {
      if (!this.v3 && !QELIB1_CLASSIC.has(name) && !BUILTINS_V2.has(name)) return
      if (this.v3 && STDGATES_EXTRA.has(name)) return
    }
    const where = prev.pos ? ` (line ${prev.pos.line})` : ' as a standard gate'
    throw semanticError(pos, `gate "${name}" is already defined${where}`)
  }

  private defineGate(s: Extract<Stmt, { k: 'gate' }>): void {
    this.checkGateFree(s.name, s.pos)
    const seen = new Set<string>()
    for (const n of [...s.params, ...s.qubits]) {
      if (seen.has(n.name)) throw semanticError(n.pos, `"${n.name}" is declared twice in gate ${s.name}`)
      if (isBuiltinConstant(n.name, this.v3)) throw semanticError(n.pos, `"${n.name}" is a built-in constant and cannot name a gate argument`)
      seen.add(n.name)
    }
    const params = new Set(s.params.map((p) => p.name))
    const qubits = new Set(s.qubits.map((q) => q.name))
    let cost = 0
    let ctrlCost = 0
    let depth = 0
    for (const st of s.body) {
      if (st.k !== 'call') continue
      const callee = this.lookup(st)
      this.checkCallShape(st, callee)
      for (const e of st.params) this.checkNames(e, params, s.name)
      const used = new Set<string>()
      for (const a of st.args) {
        if (!qubits.has(a.name)) throw semanticError(a.pos, `"${a.name}" is not a qubit argument of gate ${s.name}`)
        if (used.has(a.name)) throw semanticError(a.pos, `qubit ${a.name} is used twice in one call to ${st.name}`)
        used.add(a.name)
      }
      cost += this.callCost(st, callee, false)
      ctrlCost += this.callCost(st, callee, true)
      if (callee.k === 'user') depth = Math.max(depth, callee.depth)
    }
    if (depth + 1 > this.limits.maxGateDepth) {
      throw limitError(s.pos, `gate ${s.name} nests gate calls ${depth + 1} deep, above the limit of ${this.limits.maxGateDepth} (maxGateDepth)`)
    }
    this.gates.set(s.name, {
      k: 'user', name: s.name, params: s.params.length, qubits: s.qubits.length, cost, ctrlCost, depth: depth + 1, def: s, pos: s.pos,
    })
  }

  private checkNames(e: Expr, params: Set<string>, gate: string): void {
    switch (e.k) {
      case 'num': return
      case 'id':
        if (!params.has(e.name) && !this.consts.has(e.name)) {
          throw semanticError(e.pos, `undeclared identifier "${e.name}" in the body of gate ${gate}`)
        }
        return
      case 'neg': case 'fn': return this.checkNames(e.a, params, gate)
      case 'bin':
        this.checkNames(e.a, params, gate)
        this.checkNames(e.b, params, gate)
    }
  }

  private lookup(c: Call): Exclude<GateDef, { k: 'opaque' }> {
    const g = this.gates.get(c.name)
    if (g === undefined) {
      const lib = this.v3 ? STDGATES : QELIB1
      if (lib.has(c.name)) {
        throw semanticError(c.pos, `undefined gate "${c.name}": it is in ${this.v3 ? 'stdgates.inc' : 'qelib1.inc'}, which is not included`)
      }
      throw semanticError(c.pos, `undefined gate "${c.name}" (a gate must be defined before it is used)`)
    }
    if (g.k === 'opaque') throw unsupported(c.pos, `opaque gate "${c.name}" has no definition and cannot be simulated`)
    return g
  }

  /** A modifier's argument: a constant integer, never a gate parameter. */
  private modArg(m: Modifier, dflt: number): number {
    if (m.arg === undefined) return dflt
    const v = evaluate(m.arg, this.globalScope, true)
    if (!Number.isInteger(v.v)) throw unsupported(m.arg.pos, `${m.k}(${v.v}): only integer arguments are supported`)
    if (m.k !== 'pow' && v.v < 1) throw semanticError(m.arg.pos, `${m.k}(${v.v}): expected at least 1 control`)
    return v.v
  }

  private checkCallShape(c: Call, g: GateDef): void {
    if (c.params.length !== g.params) {
      throw semanticError(c.pos, `gate ${c.name} takes ${g.params} parameter${g.params === 1 ? '' : 's'}, got ${c.params.length}`)
    }
    let controls = 0
    for (const m of c.mods) if (m.k === 'ctrl' || m.k === 'negctrl') controls += this.modArg(m, 1)
    const want = g.qubits + controls
    if (c.args.length !== want) {
      // With control modifiers, the call is not the gate alone: say both.
      const what = controls ? `${c.name} with ${controls} control${controls === 1 ? '' : 's'} takes ${controls} + ${g.qubits} qubits` : `gate ${c.name} takes ${want} qubit${want === 1 ? '' : 's'}`
      throw semanticError(c.pos, `${what}, got ${c.args.length}`)
    }
  }

  private callCost(c: Call, g: Exclude<GateDef, { k: 'opaque' }>, decompose: boolean): number {
    const inner = (i: number, dec: boolean): number => {
      if (i === c.mods.length) return dec ? g.ctrlCost : g.cost
      const m = c.mods[i]
      switch (m.k) {
        case 'ctrl': return inner(i + 1, true)
        case 'negctrl': return inner(i + 1, true) + 2 * this.modArg(m, 1)
        case 'inv': return inner(i + 1, dec)
        case 'pow': return Math.abs(this.modArg(m, 1)) * inner(i + 1, dec)
      }
    }
    return inner(0, decompose)
  }

  private topCall(c: Call): void {
    const g = this.lookup(c)
    this.checkCallShape(c, g)
    const params = c.params.map((e) => evalReal(e, this.globalScope, this.v3))
    const resolved = c.args.map((a) => this.regs.resolve(a, true))
    const width = broadcastWidth(resolved)
    const cost = width * this.callCost(c, g, false)
    if (this.ops.length + cost > this.limits.maxOps) {
      throw limitError(c.pos, `circuit expands to more than ${this.limits.maxOps} operations, above the limit (maxOps)`)
    }
    this.budgetPos = c.pos
    for (let i = 0; i < width; i++) {
      const qs = resolved.map((r) => bitAt(r, i))
      const dup = firstDuplicate(qs)
      if (dup >= 0) {
        throw semanticError(c.args[dup].pos, `qubit ${argText(c.args[dup], i)} is used twice in one call to ${c.name}`)
      }
      this.apply(c.mods, 0, g, params, qs, this)
    }
  }

  /** Apply modifiers mods[i..] of one call, then the gate itself. */
  private apply(mods: Modifier[], i: number, g: Exclude<GateDef, { k: 'opaque' }>, p: number[], qs: number[], out: Sink): void {
    if (i === mods.length) return this.applyGate(g, p, qs, out)
    const m = mods[i]
    switch (m.k) {
      case 'ctrl': case 'negctrl': {
        const n = this.modArg(m, 1)
        const controls = qs.slice(0, n)
        const rec = new Recorder(true, this.limits.maxOps, this.budgetPos)
        this.apply(mods, i + 1, g, p, qs.slice(n), rec)
        if (m.k === 'negctrl') flip(controls, out)
        replayControlled(rec, controls, out)
        if (m.k === 'negctrl') flip(controls, out)
        return
      }
      case 'inv': {
        const rec = new Recorder(out.decompose, this.limits.maxOps, this.budgetPos)
        this.apply(mods, i + 1, g, p, qs, rec)
        return replayInverse(rec, out)
      }
      case 'pow': {
        const k = this.modArg(m, 1)
        if (k >= 0) {
          for (let j = 0; j < k; j++) this.apply(mods, i + 1, g, p, qs, out)
          return
        }
        const rec = new Recorder(out.decompose, this.limits.maxOps, this.budgetPos)
        this.apply(mods, i + 1, g, p, qs, rec)
        for (let j = 0; j < -k; j++) replayInverse(rec, out)
      }
    }
  }

  private applyGate(g: Exclude<GateDef, { k: 'opaque' }>, p: number[], qs: number[], out: Sink): void {
    if (g.k === 'std') {
      if (g.name !== 'gphase') this.gateCount++
      return g.g.emit(p, qs, out)
    }
    const def = g.def
    const scope: Scope = (n) => {
      const at = def.params.findIndex((x: Named) => x.name === n)
      return at >= 0 ? { v: p[at], int: false } : this.consts.get(n)?.val
    }
    const qubitOf = (a: Arg): number => qs[def.qubits.findIndex((x: Named) => x.name === a.name)]
    for (const st of def.body) {
      if (st.k !== 'call') continue
      const callee = this.gates.get(st.name) as Exclude<GateDef, { k: 'opaque' }>
      const cp = st.params.map((e) => evalReal(e, scope, this.v3))
      this.apply(st.mods, 0, callee, cp, st.args.map(qubitOf), out)
    }
  }

  private measure(qa: Arg, ca: Arg, pos: Pos): void {
    const q = this.regs.resolve(qa, true)
    const c = this.regs.resolve(ca, false)
    if (q.bits.length !== c.bits.length) {
      throw semanticError(pos, `measure needs operands of equal size: ${argText(qa)} has ${q.bits.length} qubit${q.bits.length === 1 ? '' : 's'}, ${argText(ca)} has ${c.bits.length} bit${c.bits.length === 1 ? '' : 's'}`)
    }
    for (let i = 0; i < q.bits.length; i++) this.push({ kind: 'measure', qubit: q.bits[i], clbit: c.bits[i] })
  }

  private ifStmt(s: Extract<Stmt, { k: 'if' }>): void {
    const c = s.cond
    const reg = this.regs.resolve({ name: c.reg.name, index: c.index, pos: c.reg.pos, indexPos: c.indexPos }, false)
    if (reg.bits.length > 64) throw unsupported(c.reg.pos, `a condition on ${reg.bits.length} bits (at most 64)`)
    const width = reg.bits.length
    if (c.value >= 1n << BigInt(width)) {
      throw semanticError(c.pos, `condition value ${c.value} does not fit in ${argText({ name: c.reg.name, index: c.index, pos: c.pos })} (${width} bit${width === 1 ? '' : 's'})`)
    }
    // One IR condition tests equality; a single bit's complement is exact.
    const single = width === 1
    if (c.negate && !single) throw unsupported(c.pos, '"!=" on a multi-bit register (only "==" is exact)')
    if (s.else && !single) throw unsupported(s.pos, 'else after a condition on a multi-bit register')
    const value = c.negate ? 1n - c.value : c.value
    this.cond = { bits: reg.bits, value }
    for (const st of s.then) this.statement(st)
    if (s.else) {
      this.cond = { bits: reg.bits, value: 1n - value }
      for (const st of s.else) this.statement(st)
    }
    this.cond = undefined
  }

  private push(op: Exclude<Op, CondOp>): void {
    if (this.ops.length >= this.limits.maxOps) {
      throw limitError(this.budgetPos, `circuit expands to more than ${this.limits.maxOps} operations, above the limit (maxOps)`)
    }
    this.ops.push(this.cond ? { kind: 'if', bits: this.cond.bits, value: this.cond.value, op } : op)
  }

  u(target: number, matrix: Mat, controls: number[]): void {
    this.push({ kind: 'u', target, controls, matrix })
  }

  swap(a: number, b: number, controls: number[]): void {
    this.push({ kind: 'swap', a, b, controls })
  }

  u2(q0: number, q1: number, matrix: Mat): void {
    this.push({ kind: 'u2', q0, q1, matrix })
  }

  gphase(): void {
    // A global phase at the top level changes no outcome.
  }
}

function firstDuplicate(qs: number[]): number {
  for (let i = 1; i < qs.length; i++) {
    for (let j = 0; j < i; j++) if (qs[i] === qs[j]) return i
  }
  return -1
}
