// SPDX-License-Identifier: Apache-2.0
// Tokenizer shared by the OpenQASM 2.0 and 3 grammars. It knows nothing of
// keywords: the parser decides what an identifier means, because the two
// versions reserve different words.

import { limitError, syntaxError, type Pos } from './errors'

export type TokenKind = 'id' | 'int' | 'real' | 'string' | 'hwqubit' | 'punct' | 'eof'

export interface Token extends Pos {
  kind: TokenKind
  /** Identifier or punctuation text; digits of a number; a string's contents. */
  text: string
}

// Longest first, so that "->" wins over "-" and "**" over "*".
const PUNCTUATION = [
  '->', '==', '!=', '<=', '>=', '**', '&&', '||', '<<', '>>', '++', '+=', '-=',
  ';', ',', '(', ')', '[', ']', '{', '}', '=', '+', '-', '*', '/', '^', '@', '!',
  '~', '<', '>', '&', '|', '%', ':', '.', '#',
]

const TWO_CHAR = new Set(PUNCTUATION.filter((p) => p.length === 2))
const ONE_CHAR = new Set(PUNCTUATION.filter((p) => p.length === 1))

const isDigit = (c: string): boolean => c >= '0' && c <= '9'
const ID_START = /[\p{L}_]/u
const ID_PART = /[\p{L}\p{N}_]/u
// ASCII first: the Unicode classes are only consulted for other characters.
const isAsciiIdPart = (c: string): boolean =>
  (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || (c >= '0' && c <= '9')

export function tokenize(src: string, maxTokens: number): Token[] {
  const out: Token[] = []
  let i = 0
  let line = 1
  let lineStart = 0
  const n = src.length
  const pos = (at: number): Pos => ({ line, column: at - lineStart + 1 })

  while (i < n) {
    const c = src[i]
    if (c === '\n') {
      i++
      line++
      lineStart = i
      continue
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v' || c === '\uFEFF') {
      i++
      continue
    }
    if (c === '/' && src[i + 1] === '/') {
      while (i < n && src[i] !== '\n') i++
      continue
    }
    if (c === '/' && src[i + 1] === '*') {
      const start = pos(i)
      i += 2
      for (;;) {
        if (i >= n) throw syntaxError(start, 'unterminated comment: expected "*/" before end of file')
        if (src[i] === '*' && src[i + 1] === '/') {
          i += 2
          break
        }
        if (src[i] === '\n') {
          line++
          lineStart = i + 1
        }
        i++
      }
      continue
    }

    if (out.length >= maxTokens) {
      throw limitError(pos(i), `source has more than ${maxTokens} tokens, above the limit (maxTokens)`)
    }
    const start = i
    const column = i - lineStart + 1

    if (isDigit(c) || (c === '.' && isDigit(src[i + 1] ?? ''))) {
      const p: Pos = { line, column }
      let real = false
      while (i < n && isDigit(src[i])) i++
      if (src[i] === '.') {
        real = true
        i++
        while (i < n && isDigit(src[i])) i++
      }
      if (src[i] === 'e' || src[i] === 'E') {
        let j = i + 1
        if (src[j] === '+' || src[j] === '-') j++
        if (isDigit(src[j] ?? '')) {
          real = true
          i = j
          while (i < n && isDigit(src[i])) i++
        }
      }
      out.push({ kind: real ? 'real' : 'int', text: src.slice(start, i), ...p })
      continue
    }
    const two = src.slice(i, i + 2)
    if (TWO_CHAR.has(two)) {
      out.push({ kind: 'punct', text: two, line, column })
      i += 2
      continue
    }
    if (ONE_CHAR.has(c) && c !== '.') {
      out.push({ kind: 'punct', text: c, line, column })
      i++
      continue
    }
    const p: Pos = { line, column }
    const ch = String.fromCodePoint(src.codePointAt(i) as number)
    if ((isAsciiIdPart(ch) && !isDigit(ch)) || (ch > '\x7f' && ID_START.test(ch))) {
      i += ch.length
      while (i < n) {
        const d = src[i]
        if (isAsciiIdPart(d)) {
          i++
          continue
        }
        if (d <= '\x7f') break
        const u = String.fromCodePoint(src.codePointAt(i) as number)
        if (!ID_PART.test(u)) break
        i += u.length
      }
      out.push({ kind: 'id', text: src.slice(start, i), ...p })
      continue
    }
    if (c === '$') {
      i++
      while (i < n && isDigit(src[i])) i++
      if (i === start + 1) throw syntaxError(p, 'expected digits after "$" in a physical qubit')
      out.push({ kind: 'hwqubit', text: src.slice(start + 1, i), ...p })
      continue
    }
    if (c === '"' || c === "'") {
      i++
      while (i < n && src[i] !== c && src[i] !== '\n') i++
      if (src[i] !== c) throw syntaxError(p, `unterminated string: expected closing ${c} on the same line`)
      out.push({ kind: 'string', text: src.slice(start + 1, i), ...p })
      i++
      continue
    }
    if (c === '.') {
      out.push({ kind: 'punct', text: c, line, column })
      i++
      continue
    }
    throw syntaxError(p, `unexpected character ${JSON.stringify(ch)}`)
  }
  out.push({ kind: 'eof', text: '', ...pos(i) })
  return out
}

/** How a token reads in an error message. */
export function describe(t: Token): string {
  if (t.kind === 'eof') return 'end of file'
  if (t.kind === 'string') return JSON.stringify(t.text)
  if (t.kind === 'hwqubit') return `"$${t.text}"`
  return JSON.stringify(t.text)
}
