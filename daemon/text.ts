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
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

/** Returns `value` unchanged when it is plain text of at most `maxChars` characters. */
export function plainText(value: string, field: string, maxChars: number): string {
  if (value.length > maxChars) throw new AgentError('Z3_INVALID_ARGUMENT', `${field} is longer than ${maxChars} characters.`)
  const m = CONTROL.exec(value)
  if (m) {
    const code = m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')
    throw new AgentError('Z3_INVALID_ARGUMENT', `${field} holds a control character (U+${code} at character ${m.index + 1}); it must be plain text.`)
  }
  return value
}
