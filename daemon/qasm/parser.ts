// SPDX-License-Identifier: Apache-2.0
// Recursive-descent parser for OpenQASM 2.0 and the part of OpenQASM 3 that
// IBM and Qiskit emit. It builds the tree only; names, sizes and limits are
// the expander's business. Statement nesting (if blocks, gate bodies) is at
// most two levels, so only expressions need an explicit depth bound.

import type { Arg, Condition, Modifier, Named, Program, Stmt } from './ast'
import { Cursor } from './cursor'
import { semanticError, syntaxError, unsupported } from './errors'
import { parseExpr, type ExprOptions } from './expr'
import { describe, type Token } from './lexer'

// OpenQASM 3 statements outside the supported subset, refused by name so that
// nothing is silently dropped.
const UNSUPPORTED_V3: Record<string, string> = {
  for: 'for loops', while: 'while loops', def: 'subroutines (def)', input: 'input declarations',
  output: 'output declarations', delay: 'delay', box: 'box', duration: 'duration variables',
  stretch: 'stretch variables', cal: 'cal blocks', defcal: 'defcal', defcalgrammar: 'defcalgrammar',
  extern: 'extern declarations', array: 'arrays', let: 'let aliases', return: 'return',
  break: 'break', continue: 'continue', switch: 'switch', end: 'end', int: 'non-constant int variables',
  uint: 'non-constant uint variables', float: 'non-constant float variables',
  angle: 'angle variables', bool: 'bool variables', complex: 'complex variables',
  readonly: 'readonly declarations', mutable: 'mutable declarations', nop: 'nop', pragma: 'pragmas',
}
const MODIFIERS = new Set(['inv', 'ctrl', 'negctrl', 'pow'])

export function parseProgram(toks: Token[], maxExprDepth: number): Program {
  return new Parser(new Cursor(toks), maxExprDepth).program()
}

class Parser {
  private v3 = false
  private expr: ExprOptions
  private physical = 0
  private physicalPos: Token | undefined

  constructor(private readonly cur: Cursor, maxDepth: number) {
    this.expr = { v3: false, maxDepth }
  }

  program(): Program {
    const c = this.cur
    let version = '2.0'
    if (c.at('OPENQASM')) {
      c.next()
      const v = c.peek()
      if (v.kind !== 'int' && v.kind !== 'real') {
        throw syntaxError(v, `expected a version number after OPENQASM, found ${describe(v)}`)
      }
      c.next()
      if (v.text === '3' || v.text === '3.0') this.v3 = true
      else if (v.text !== '2.0' && v.text !== '2') {
        throw unsupported(v, `OpenQASM version ${v.text} (supported: 2.0, 3.0)`)
      }
      version = v.text === '2' ? '2.0' : v.text
      c.expect(';', 'after the version')
    }
    this.expr = { ...this.expr, v3: this.v3 }
    const stmts: Stmt[] = []
    while (c.peek().kind !== 'eof') stmts.push(this.statement(false))
    return { version, physicalQubits: this.physical, physicalPos: this.physicalPos, stmts }
  }

  private end(): void {
    this.cur.expect(';', 'after statement')
  }

  private ident(what: string): Token {
    return this.cur.expectKind('id', what)
  }

  private statement(inBlock: boolean): Stmt {
    const c = this.cur
    const t = c.peek()
    if (t.kind !== 'id') {
      if (this.v3 && t.kind === 'punct' && t.text === '@') throw unsupported(t, 'annotations')
      // `#pragma` is the older spelling of a pragma; a `#` alone is a stray character.
      if (this.v3 && t.kind === 'punct' && t.text === '#' && c.peek(1).kind === 'id' && c.peek(1).text === 'pragma') {
        throw unsupported(t, 'pragmas')
      }
      throw syntaxError(t, `expected a statement, found ${describe(t)}`)
    }
    if (t.text === 'OPENQASM') throw syntaxError(t, 'the version line must come first')
    if (this.v3 && Object.hasOwn(UNSUPPORTED_V3, t.text)) {
      throw unsupported(t, UNSUPPORTED_V3[t.text])
    }
    switch (t.text) {
      case 'include': return this.include(inBlock)
      case 'qreg': case 'creg': return this.oldRegister()
      case 'gate': return this.gate(inBlock)
      case 'opaque': return this.opaque(inBlock)
      case 'measure': return this.measure()
      case 'reset': {
        c.next()
        const q = this.arg()
        this.end()
        return { k: 'reset', q, pos: t }
      }
      case 'barrier': return this.barrier()
      case 'if': return this.ifStmt(inBlock)
    }
    if (this.v3) {
      switch (t.text) {
        case 'qubit': case 'bit': return this.newRegister()
        case 'const': return this.constDecl()
      }
      if (c.at('=', 1) || (c.at('[', 1) && this.isAssignment())) return this.assignment()
    }
    return this.call(false)
  }

  private include(inBlock: boolean): Stmt {
    const t = this.cur.next()
    if (inBlock) throw semanticError(t, 'include is only allowed at the top level')
    const f = this.cur.expectKind('string', 'a file name in quotes after include')
    this.end()
    return { k: 'include', file: f.text, pos: f }
  }

  private size(): { size: number; sizePos: Token } {
    this.cur.expect('[', 'before the register size')
    const n = this.cur.peek()
    if (n.kind !== 'int') {
      if (this.v3) throw unsupported(n, `register size ${describe(n)}: only an integer literal is supported`)
      throw syntaxError(n, `expected an integer register size, found ${describe(n)}`)
    }
    this.cur.next()
    this.cur.expect(']', 'after the register size')
    return { size: Number(n.text), sizePos: n }
  }

  private oldRegister(): Stmt {
    const kw = this.cur.next()
    const name = this.ident('a register name')
    const { size, sizePos } = this.size()
    this.end()
    return { k: kw.text === 'qreg' ? 'qreg' : 'creg', name: name.text, size, pos: name, sizePos }
  }

  private newRegister(): Stmt {
    const kw = this.cur.next()
    let size = 1
    let sizePos: Token = kw
    if (this.cur.at('[')) ({ size, sizePos } = this.size())
    const name = this.ident('a register name')
    if (kw.text === 'qubit') {
      this.end()
      return { k: 'qreg', name: name.text, size, pos: name, sizePos }
    }
    let init: Arg | undefined
    if (this.cur.accept('=')) {
      const m = this.cur.peek()
      if (!this.cur.accept('measure')) throw unsupported(m, 'bit initialisers other than measure')
      init = this.arg()
    }
    this.end()
    return { k: 'creg', name: name.text, size, pos: name, sizePos, init }
  }

  private constDecl(): Stmt {
    this.cur.next()
    const ty = this.ident('a type after const')
    if (!['int', 'uint', 'float'].includes(ty.text)) {
      throw unsupported(ty, `const of type ${ty.text} (supported: int, uint, float)`)
    }
    if (this.cur.at('[')) this.size()
    const name = this.ident('a constant name')
    this.cur.expect('=', 'after the constant name')
    const value = parseExpr(this.cur, this.expr)
    this.end()
    return { k: 'const', name: name.text, int: ty.text !== 'float', value, pos: name }
  }

  private isAssignment(): boolean {
    // `c[0] = ...` against a gate call such as `x q[0];`: look past the index.
    return this.cur.at(']', 3) && this.cur.at('=', 4)
  }

  private assignment(): Stmt {
    const c = this.arg()
    const eq = this.cur.expect('=', 'in an assignment')
    if (!this.cur.at('measure')) throw unsupported(eq, 'classical assignment other than "= measure"')
    this.cur.next()
    const q = this.arg()
    this.end()
    return { k: 'measure', q, c, pos: c.pos }
  }

  private gate(inBlock: boolean): Stmt {
    const kw = this.cur.next()
    if (inBlock) throw semanticError(kw, 'gate definitions are only allowed at the top level')
    const name = this.ident('a gate name')
    const params: Named[] = []
    if (this.cur.accept('(')) {
      if (!this.cur.at(')')) {
        do {
          const p = this.ident('a parameter name')
          params.push({ name: p.text, pos: p })
        } while (this.cur.accept(','))
      }
      this.cur.expect(')', 'after the gate parameters')
    }
    const qubits: Named[] = []
    do {
      const q = this.ident('a qubit argument name')
      qubits.push({ name: q.text, pos: q })
    } while (this.cur.accept(','))
    this.cur.expect('{', 'to open the gate body')
    const body: Stmt[] = []
    while (!this.cur.at('}')) {
      const t = this.cur.peek()
      if (t.kind === 'eof') throw syntaxError(t, `expected "}" to close gate ${name.text}, found end of file`)
      if (t.kind === 'id' && ['measure', 'reset', 'if', 'gate', 'opaque', 'qreg', 'creg', 'qubit', 'bit', 'include', 'const'].includes(t.text)) {
        throw semanticError(t, `"${t.text}" is not allowed in the body of gate ${name.text}`)
      }
      body.push(t.kind === 'id' && t.text === 'barrier' ? this.barrier() : this.call(true))
    }
    this.cur.next()
    return { k: 'gate', name: name.text, params, qubits, body, pos: name }
  }

  private opaque(inBlock: boolean): Stmt {
    const kw = this.cur.next()
    if (inBlock) throw semanticError(kw, 'opaque declarations are only allowed at the top level')
    const name = this.ident('a gate name')
    let params = 0
    if (this.cur.accept('(')) {
      if (!this.cur.at(')')) {
        do {
          this.ident('a parameter name')
          params++
        } while (this.cur.accept(','))
      }
      this.cur.expect(')', 'after the gate parameters')
    }
    let qubits = 0
    do {
      this.ident('a qubit argument name')
      qubits++
    } while (this.cur.accept(','))
    this.end()
    return { k: 'opaque', name: name.text, params, qubits, pos: name }
  }

  private measure(): Stmt {
    const kw = this.cur.next()
    const q = this.arg()
    if (!this.cur.at('->')) {
      if (this.v3 && this.cur.at(';')) throw unsupported(kw, 'measure without a target bit')
      throw syntaxError(this.cur.peek(), `expected "->" after the measured qubit, found ${describe(this.cur.peek())}`)
    }
    this.cur.next()
    const c = this.arg()
    this.end()
    return { k: 'measure', q, c, pos: kw }
  }

  private barrier(): Stmt {
    const kw = this.cur.next()
    const args: Arg[] = []
    if (!this.cur.at(';')) {
      do args.push(this.arg())
      while (this.cur.accept(','))
    } else if (!this.v3) {
      throw syntaxError(this.cur.peek(), 'expected a qubit argument after barrier, found ";"')
    }
    this.end()
    return { k: 'barrier', args, pos: kw }
  }

  private arg(): Arg {
    const t = this.cur.peek()
    if (t.kind === 'hwqubit' && this.v3) {
      this.cur.next()
      const index = Number(t.text)
      if (index + 1 > this.physical) {
        this.physical = index + 1
        this.physicalPos = t
      }
      return { name: '$', index, pos: t, indexPos: t }
    }
    const name = this.ident('a register or qubit')
    if (!this.cur.accept('[')) return { name: name.text, pos: name }
    const i = this.cur.peek()
    if (i.kind !== 'int') {
      if (this.v3) throw unsupported(i, `register index ${describe(i)}: only an integer literal is supported (no slices, sets or expressions)`)
      throw syntaxError(i, `expected an integer index, found ${describe(i)}`)
    }
    this.cur.next()
    if (this.v3 && !this.cur.at(']')) {
      throw unsupported(this.cur.peek(), `register index followed by ${describe(this.cur.peek())}: slices and index sets are not supported`)
    }
    this.cur.expect(']', 'after the index')
    return { name: name.text, index: Number(i.text), pos: name, indexPos: i }
  }

  private ifStmt(inBlock: boolean): Stmt {
    const kw = this.cur.next()
    if (inBlock) throw unsupported(kw, 'nested if statements')
    this.cur.expect('(', 'after if')
    const cond = this.condition()
    this.cur.expect(')', 'after the condition')
    const then = this.branch()
    let otherwise: Stmt[] | undefined
    if (this.v3 && this.cur.at('else')) {
      this.cur.next()
      otherwise = this.branch()
    }
    return { k: 'if', cond, then, else: otherwise, pos: kw }
  }

  private branch(): Stmt[] {
    if (!this.v3 || !this.cur.at('{')) return [this.statement(true)]
    this.cur.next()
    const out: Stmt[] = []
    while (!this.cur.accept('}')) {
      if (this.cur.peek().kind === 'eof') throw syntaxError(this.cur.peek(), 'expected "}" to close the if block, found end of file')
      out.push(this.statement(true))
    }
    return out
  }

  private condition(): Condition {
    const start = this.cur.peek()
    const negate = this.v3 && this.cur.accept('!')
    const reg = this.ident('a classical register in the condition')
    const cond: Condition = { reg: { name: reg.text, pos: reg }, value: 1n, negate, pos: start }
    if (this.cur.accept('[')) {
      if (!this.v3) throw syntaxError(this.cur.peek(), 'expected "==" after the register in the condition, found "["')
      const i = this.cur.expectKind('int', 'an integer bit index')
      this.cur.expect(']', 'after the index')
      cond.index = Number(i.text)
      cond.indexPos = i
    }
    const op = this.cur.peek()
    if (this.cur.at('==') || (this.v3 && this.cur.at('!='))) {
      this.cur.next()
      if (negate) throw unsupported(start, 'a negated comparison in a condition')
      const v = this.cur.peek()
      if (v.kind === 'int') cond.value = BigInt(v.text)
      else if (this.v3 && v.kind === 'id' && (v.text === 'true' || v.text === 'false')) cond.value = v.text === 'true' ? 1n : 0n
      else throw syntaxError(v, `expected an integer after "${op.text}", found ${describe(v)}`)
      this.cur.next()
      cond.negate = op.text === '!='
    } else if (!this.v3) {
      throw syntaxError(op, `expected "==" after the register in the condition, found ${describe(op)}`)
    } else if (!this.cur.at(')')) {
      throw unsupported(op, `condition operator ${describe(op)} (supported: ==, != and a bare bit)`)
    }
    return cond
  }

  private call(inGate: boolean): Stmt {
    const mods: Modifier[] = []
    while (this.v3 && this.cur.peek().kind === 'id' && MODIFIERS.has(this.cur.peek().text)) {
      const m = this.cur.next()
      const mod: Modifier = { k: m.text as Modifier['k'], pos: m }
      if (m.text !== 'inv' && this.cur.accept('(')) {
        mod.arg = parseExpr(this.cur, this.expr)
        this.cur.expect(')', `after the ${m.text} argument`)
      } else if (m.text === 'pow') {
        throw syntaxError(this.cur.peek(), `expected "(" after pow, found ${describe(this.cur.peek())}`)
      }
      this.cur.expect('@', `after the ${m.text} modifier`)
      mods.push(mod)
    }
    const name = this.ident('a gate name')
    const params = []
    if (this.cur.accept('(')) {
      if (!this.cur.at(')')) {
        do params.push(parseExpr(this.cur, this.expr))
        while (this.cur.accept(','))
      }
      this.cur.expect(')', 'after the gate parameters')
    }
    const args: Arg[] = []
    if (!this.v3 || !this.cur.at(';')) {
      do {
        const a = this.arg()
        if (inGate && a.index !== undefined) {
          throw semanticError(a.indexPos ?? a.pos, `indexed argument ${a.name}[${a.index}] inside a gate body: use the gate's qubit names`)
        }
        args.push(a)
      } while (this.cur.accept(','))
    }
    this.end()
    return { k: 'call', name: name.text, mods, params, args, pos: name }
  }
}
