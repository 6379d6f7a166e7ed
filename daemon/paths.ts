// SPDX-License-Identifier: Apache-2.0
// Where the agent's own files live, whether it runs from dist/ (compiled) or
// from the TypeScript sources (tests load them through tsx).
import fs from 'node:fs'
import path from 'node:path'

function findRoot(start: string): string {
  let dir = start
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'proto'))) return dir
    const up = path.dirname(dir)
    if (up === dir) throw new Error(`cannot find the z3bra-agent package root above ${start}`)
    dir = up
  }
}

export const PACKAGE_ROOT = findRoot(__dirname)
export const PROTO_DIR = path.join(PACKAGE_ROOT, 'proto')
export const PROTO_FILES = ['z3bra/agent/v1/job.proto', 'z3bra/agent/v1/host.proto', 'z3bra/agent/v1/tenant.proto', 'z3bra/agent/v1/audit.proto']
