// SPDX-License-Identifier: Apache-2.0
// `npm run bench`: every benchmark, each written to bench/results/ with the
// machine it ran on. Figures are compared with references measured in the
// same run, never asserted in tests.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { PACKAGE_ROOT } from '../daemon/paths'
import { GIT_COMMIT, AGENT_VERSION } from '../daemon/version'
import { runLatencyBench } from './latency'
import { runSchedulerBench } from './scheduler'
import { runPerfCircuitBench } from './perf-circuits'
import { runSimKernelBench } from './sim-kernels'

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

function write(name: string, data: unknown): void {
  fs.mkdirSync(RESULTS, { recursive: true })
  const file = path.join(RESULTS, `${name}.json`)
  fs.writeFileSync(file, JSON.stringify({ machine: machine(), ...(data as object) }, null, 2) + '\n')
  console.log(`wrote ${path.relative(PACKAGE_ROOT, file)}`)
}

async function main(): Promise<void> {
  const only = process.argv[2]
  if (!only || only === 'sim') {
    // Writes bench/results/sim-kernels.json itself.
    await runSimKernelBench()
    console.log('wrote bench/results/sim-kernels.json')
  }
  if (!only || only === 'perf' || only === 'perf-circuits') {
    // Writes bench/results/perf-circuits.json itself.
    await runPerfCircuitBench()
    console.log('wrote bench/results/perf-circuits.json')
  }
  if (!only || only === 'scheduler') write('scheduler', runSchedulerBench())
  if (!only || only === 'latency') write('latency', await runLatencyBench())
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
