// SPDX-License-Identifier: Apache-2.0
// The agent's version and, when it runs from a git checkout, the commit it
// was built from: both go into every result's reproducibility record.
import fs from 'node:fs'
import path from 'node:path'
import { PACKAGE_ROOT } from './paths'

const pkg = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }

export const AGENT_VERSION: string = pkg.version

function readGitCommit(): string {
  // Read .git directly instead of running git: hosts need not have git, and
  // start-up should not fork.
  try {
    const gitDir = path.join(PACKAGE_ROOT, '.git')
    const head = fs.readFileSync(path.join(gitDir, 'HEAD'), 'utf8').trim()
    if (!head.startsWith('ref: ')) return head
    const ref = head.slice(5)
    const loose = path.join(gitDir, ref)
    if (fs.existsSync(loose)) return fs.readFileSync(loose, 'utf8').trim()
    const packed = fs.readFileSync(path.join(gitDir, 'packed-refs'), 'utf8')
    for (const line of packed.split('\n')) {
      const [sha, name] = line.split(' ')
      if (name === ref) return sha
    }
  } catch {
    // Not a checkout: an installed package has no commit to report.
  }
  return ''
}

export const GIT_COMMIT: string = readGitCommit()
