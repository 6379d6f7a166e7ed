// SPDX-License-Identifier: Apache-2.0
// Free text a caller hands the agent (job and token names, reasons,
// justifications, request ids) is printed later on operators' terminals
// and kept in the audit log: it must be plain text of bounded length. A
// control character (C0, DEL or C1) could move a terminal's cursor, recolour
// it or forge a line of output, so the call is refused, naming the field
// and where the character sits; nothing is stored.
import { AgentError } from './errors'

/** Reasons given for cancelling a job or draining and cordoning the host. */
export const MAX_REASON_CHARS = 500

// U+0000-U+001F, U+007F-U+009F.
const CONTROL_CHARS = '\\u0000-\\u001f\\u007f-\\u009f'
// Zero-width, line and paragraph separators, direction marks, embeddings,
// overrides and isolates, invisible operators, the byte-order mark: text
// that reads other than it prints.
const INVISIBLE_CHARS = '\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff'
const CONTROL = new RegExp(`[${CONTROL_CHARS}]`)
const INVISIBLE = new RegExp(`[${INVISIBLE_CHARS}]`)
const UNSAFE = new RegExp(`[${CONTROL_CHARS}${INVISIBLE_CHARS}]`, 'g')

const hex = (c: string) => c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')

/** `text` with every control or invisible character written as \uXXXX: for echoing what a caller sent. */
export function escapeUnsafe(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u${hex(c)}`)
}

/** Returns `value` unchanged when it is plain text of at most `maxChars` characters. */
export function plainText(value: string, field: string, maxChars: number): string {
  if (value.length > maxChars) throw new AgentError('Z3_INVALID_ARGUMENT', `${field} is longer than ${maxChars} characters.`)
  const m = CONTROL.exec(value)
  if (m) {
    throw new AgentError('Z3_INVALID_ARGUMENT', `${field} holds a control character (U+${hex(m[0])} at character ${m.index + 1}); it must be plain text.`)
  }
  const v = INVISIBLE.exec(value)
  if (v) {
    throw new AgentError('Z3_INVALID_ARGUMENT', `${field} holds an invisible or direction-changing character (U+${hex(v[0])} at character ${v.index + 1}); it must be plain text.`)
  }
  return value
}

/** An optional reason (cancel, undrain, uncordon): trimmed, plain, at most MAX_REASON_CHARS. */
export function reasonText(raw: string | undefined): string {
  return plainText((raw ?? '').trim(), 'reason', MAX_REASON_CHARS)
}
