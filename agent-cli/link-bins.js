// SPDX-License-Identifier: Apache-2.0
// Run by `npm ci` (postinstall): puts this package's own commands in
// node_modules/.bin. npm links the bins of dependencies only, so without
// this `npx z3bra-agent` in a fresh checkout would install the checkout
// into npx's cache, rebuilding the native parts under a running daemon.
'use strict'
const fs = require('node:fs')
const path = require('node:path')

const root = path.resolve(__dirname, '..')
const bins = require(path.join(root, 'package.json')).bin
const dir = path.join(root, 'node_modules', '.bin')
fs.mkdirSync(dir, { recursive: true })
for (const [name, target] of Object.entries(bins)) {
  const file = path.join(dir, name)
  fs.rmSync(file, { force: true })
  fs.writeFileSync(file, `#!/bin/sh\nexec node "$(dirname "$0")/../../${target}" "$@"\n`, { mode: 0o755 })
}
