// SPDX-License-Identifier: Apache-2.0
// The front end's one error type. Every refusal carries a stable code and a
// 1-based position, and its message starts with that position so that the
// gRPC layer can pass it through to the caller unchanged.

export type QasmErrorCode =
  | 'QASM_SYNTAX'
  | 'QASM_SEMANTIC'
  | 'QASM_UNSUPPORTED'
  | 'QASM_LIMIT'

/** Where a token starts in the source; both fields are 1-based. */
export interface Pos {
  line: number
  column: number
}

export class QasmError extends Error {
  readonly code: QasmErrorCode
  readonly line: number
  readonly column: number

  constructor(code: QasmErrorCode, pos: Pos, detail: string) {
    super(`line ${pos.line}, column ${pos.column}: ${detail}`)
    this.name = 'QasmError'
    this.code = code
    this.line = pos.line
    this.column = pos.column
  }
}

export function syntaxError(pos: Pos, detail: string): QasmError {
  return new QasmError('QASM_SYNTAX', pos, detail)
}

export function semanticError(pos: Pos, detail: string): QasmError {
  return new QasmError('QASM_SEMANTIC', pos, detail)
}

/** A feature the agent refuses by name: the message says so in words. */
export function unsupported(pos: Pos, detail: string): QasmError {
  return new QasmError('QASM_UNSUPPORTED', pos, `not supported: ${detail}`)
}

export function limitError(pos: Pos, detail: string): QasmError {
  return new QasmError('QASM_LIMIT', pos, detail)
}
