// SPDX-License-Identifier: Apache-2.0
// A read position over the token array, with the "expected X, found Y"
// wording every syntax error shares.

import { syntaxError } from './errors'
import { describe, type Token } from './lexer'

export class Cursor {
  private i = 0

  constructor(private readonly toks: Token[]) {}

  peek(ahead = 0): Token {
    return this.toks[Math.min(this.i + ahead, this.toks.length - 1)]
  }

  next(): Token {
    const t = this.toks[this.i]
    if (this.i < this.toks.length - 1) this.i++
    return t
  }

  /** True when the next token is the punctuation or identifier `text`. */
  at(text: string, ahead = 0): boolean {
    const t = this.peek(ahead)
    return (t.kind === 'punct' || t.kind === 'id') && t.text === text
  }

  accept(text: string): boolean {
    if (!this.at(text)) return false
    this.next()
    return true
  }

  expect(text: string, context: string): Token {
    const t = this.peek()
    if (!this.at(text)) throw syntaxError(t, `expected "${text}" ${context}, found ${describe(t)}`)
    return this.next()
  }

  expectKind(kind: Token['kind'], what: string): Token {
    const t = this.peek()
    if (t.kind !== kind) throw syntaxError(t, `expected ${what}, found ${describe(t)}`)
    return this.next()
  }
}
