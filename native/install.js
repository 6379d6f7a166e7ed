// SPDX-License-Identifier: Apache-2.0
// package.json's install script: builds the addon and the runner with
// node-gyp unless both are already newer than every source they come from.
// `npx z3bra-agent` installs this checkout into npx's cache, which runs this
// script again; it must then leave a built tree (and a daemon running from
// it) alone instead of rebuilding under it.
'use strict'
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')

const root = path.resolve(__dirname, '..')
const outputs = ['z3bra_native.node', 'z3bra-sim'].map((f) => path.join(root, 'build', 'Release', f))

function newestSource(dir) {
  let newest = 0
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p))
    else if (/\.(cc|h)$/.test(e.name)) newest = Math.max(newest, fs.statSync(p).mtimeMs)
  }
  return newest
}

function upToDate() {
  let oldestOutput = Infinity
  for (const f of outputs) {
    if (!fs.existsSync(f)) return false
    oldestOutput = Math.min(oldestOutput, fs.statSync(f).mtimeMs)
  }
  const sources = Math.max(newestSource(path.join(root, 'native')), fs.statSync(path.join(root, 'binding.gyp')).mtimeMs)
  return sources < oldestOutput
}

if (upToDate() && !process.env.Z3BRA_REBUILD) {
  console.log('native parts are up to date (set Z3BRA_REBUILD=1 to rebuild)')
} else {
  const r = spawnSync('node-gyp', ['rebuild'], { cwd: root, stdio: 'inherit' })
  if (r.error) {
    console.error(`cannot run node-gyp: ${r.error.message}`)
    process.exit(1)
  }
  process.exit(r.status ?? 1)
}
