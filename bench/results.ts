// SPDX-License-Identifier: Apache-2.0
// What every benchmark shares: the machine record written beside its
// figures, the one place results are written (bench/results/<name>.json),
// and quantiles of a sample.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { PACKAGE_ROOT } from '../daemon/paths'
import { AGENT_VERSION, GIT_COMMIT } from '../daemon/version'

const RESULTS = path.join(PACKAGE_ROOT, 'bench', 'results')

function machine(): Record<string, unknown> {
  return {
    cpu: os.cpus()[0]?.model,
    cpus: os.cpus().length,
    memory_bytes: os.totalmem(),
    kernel: os.release(),
    node: process.version,
    agent_version: AGENT_VERSION,
    git_commit: GIT_COMMIT,
    date: new Date().toISOString(),
  }
}

/** Writes bench/results/<name>.json: the machine, then the benchmark's own fields. */
export function writeResult(name: string, data: object): void {
  fs.mkdirSync(RESULTS, { recursive: true })
  const file = path.join(RESULTS, `${name}.json`)
  fs.writeFileSync(file, JSON.stringify({ machine: machine(), ...data }, null, 2) + '\n')
  console.log(`wrote ${path.relative(PACKAGE_ROOT, file)}`)
}

/** The sample's value at fraction `p` of its sorted order (the nearest rank at or below). */
export function quantile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]
}

/** Runs a benchmark's entry point when its file is run directly. */
export function runDirectly(name: string, fn: () => Promise<unknown>): void {
  fn().catch((err) => {
    process.stderr.write(`${name}: ${err.stack ?? err}\n`)
    process.exitCode = 1
  })
}
