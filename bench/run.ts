// SPDX-License-Identifier: Apache-2.0
// `npm run bench`: every benchmark, each written to bench/results/ with the
// machine it ran on. Figures are compared with references measured in the
// same run, never asserted in tests.
import { runLatencyBench } from './latency'
import { runPerfCircuitBench } from './perf-circuits'
import { writeResult } from './results'
import { runSchedulerBench } from './scheduler'
import { runSimKernelBench } from './sim-kernels'

async function main(): Promise<void> {
  const only = process.argv[2]
  if (!only || only === 'sim') writeResult('sim-kernels', await runSimKernelBench())
  if (!only || only === 'perf' || only === 'perf-circuits') writeResult('perf-circuits', await runPerfCircuitBench())
  if (!only || only === 'scheduler') writeResult('scheduler', runSchedulerBench())
  if (!only || only === 'latency') writeResult('latency', await runLatencyBench())
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
