// SPDX-License-Identifier: Apache-2.0
// Rewrites an OpenQASM 2.0 file of the QASMBench kind into OpenQASM 3 the way
// Qiskit's exporter writes it, so that the same circuits can go through both
// front ends (and through the daemon) and be compared op for op.

// qelib1 names that stdgates.inc spells differently, with the same matrix.
const RENAMED: Record<string, string> = { cu1: 'cp', u: 'u3', CX: 'cx' }

const NUMBER = /(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?/g

// OpenQASM 3 divides integers exactly and spells the power "**"; make every
// literal real so that `1/2` keeps the value it had in 2.0.
function rewriteExpr(e: string): string {
  return e.replace(NUMBER, (m, mant: string, exp?: string) => (mant.includes('.') || exp ? m : `${m}.0`)).replace(/\^/g, '**')
}

function statement(s: string): string {
  const body = s.trim()
  if (body === '') return s
  let m = /^OPENQASM\s+2(\.0)?$/.exec(body)
  if (m) return 'OPENQASM 3.0'
  if (/^include\s+"qelib1\.inc"$/.test(body)) return 'include "stdgates.inc"'
  m = /^(qreg|creg)\s+(\w+)\s*\[\s*(\d+)\s*\]$/.exec(body)
  if (m) return `${m[1] === 'qreg' ? 'qubit' : 'bit'}[${m[3]}] ${m[2]}`
  m = /^measure\s+(.+?)\s*->\s*(.+)$/.exec(body)
  if (m) return `${m[2]} = measure ${m[1]}`
  m = /^(if\s*\([^)]*\)\s*)(.*)$/.exec(body)
  if (m) return m[1] + statement(m[2])
  if (/^(barrier|reset)\b/.test(body)) return body
  m = /^(gate|opaque)(\s+\w+\s*)(?:\((.*)\))?(.*)$/s.exec(body)
  if (m) return m[3] === undefined ? body : `${m[1]}${m[2]}(${rewriteExpr(m[3])})${m[4]}`
  m = /^(\w+)\s*(?:\((.*)\))?\s*(.*)$/.exec(body)
  if (!m) return body
  const [, name, params, args] = m
  if (name === 'cu3') return `cu(${rewriteExpr(params ?? '')}, 0.0) ${args}`
  const renamed = RENAMED[name] ?? name
  return params === undefined ? `${renamed} ${args}` : `${renamed}(${rewriteExpr(params)}) ${args}`
}

export function toQasm3(src: string): string {
  const out: string[] = []
  let versioned = false
  for (const line of src.split('\n')) {
    const cut = line.indexOf('//')
    const code = cut >= 0 ? line.slice(0, cut) : line
    const comment = cut >= 0 ? line.slice(cut) : ''
    if (/^\s*OPENQASM\b/.test(code)) versioned = true
    const pieces = code.split(';')
    const rewritten = pieces.map((p, i) => (i === pieces.length - 1 ? p : statement(p))).join(';')
    out.push(rewritten + comment)
  }
  // Files without a version line are 2.0 by convention; 3 requires the line.
  if (!versioned) out.unshift('OPENQASM 3.0;')
  return out.join('\n')
}
