// SPDX-License-Identifier: Apache-2.0
// The error table in docs/errors.md and the one in daemon/errors.ts are the
// same table.
import { status } from '@grpc/grpc-js'
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { ERROR_CODES } from '../../daemon/errors'

t.test('every error code is documented with its status and meaning, and nothing else is', async (t) => {
  const doc = fs.readFileSync(path.join(__dirname, '../../docs/errors.md'), 'utf8')
  const rows = new Map<string, { grpc: string; meaning: string }>()
  for (const line of doc.split('\n')) {
    const m = /^\| (Z3_[A-Z_]+) \| ([A-Z_]+) \| ([^|]+) \|/.exec(line)
    if (m) rows.set(m[1], { grpc: m[2], meaning: m[3].trim() })
  }
  t.same([...rows.keys()].sort(), Object.keys(ERROR_CODES).sort())
  for (const [code, e] of Object.entries(ERROR_CODES)) {
    t.equal(rows.get(code)?.grpc, status[e.grpc], `${code}: status`)
    t.equal(rows.get(code)?.meaning, e.meaning, `${code}: meaning`)
  }
})
