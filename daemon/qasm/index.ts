// SPDX-License-Identifier: Apache-2.0
// The OpenQASM 2.0 / 3 front end: source text in, circuit IR out, or one
// QasmError with a code and a position. docs/qasm.md lists what is accepted.

import type { Circuit } from '../circuit/ir'
import { limitError, QasmError } from './errors'
import { expand } from './expand'
import { tokenize } from './lexer'
import { resolveLimits, type ParseLimits } from './limits'
import { parseProgram } from './parser'

export { QasmError, type QasmErrorCode } from './errors'
export { DEFAULT_LIMITS, type ParseLimits } from './limits'

export function parseCircuit(source: string, limits?: Partial<ParseLimits>): Circuit {
  if (typeof source !== 'string') throw new TypeError('parseCircuit expects the source as a string')
  const lim = resolveLimits(limits)
  // A UTF-16 string never has more code units than its UTF-8 form has bytes,
  // so the cheap length test rejects most oversized input before encoding.
  const bytes = source.length > lim.maxSourceBytes ? source.length : Buffer.byteLength(source, 'utf8')
  if (bytes > lim.maxSourceBytes) {
    throw limitError({ line: 1, column: 1 }, `source is at least ${bytes} bytes, above the limit of ${lim.maxSourceBytes} (maxSourceBytes)`)
  }
  const program = parseProgram(tokenize(source, lim.maxTokens), lim.maxExprDepth)
  return expand(program, lim)
}

export function isQasmError(e: unknown): e is QasmError {
  return e instanceof QasmError
}
