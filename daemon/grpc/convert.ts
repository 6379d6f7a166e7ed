// SPDX-License-Identifier: Apache-2.0
// Store rows to the wire messages of proto/z3bra/agent/v1.
import type { JobResultDoc } from '../jobs/manager'
import type { JobRow } from '../store/jobs'

export interface Timestamp {
  seconds: string
  nanos: number
}

export function timestamp(ms: number | null): Timestamp | null {
  if (ms === null) return null
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 }
}

export function jobMessage(j: JobRow, waitReason?: string): Record<string, unknown> {
  return {
    job_id: j.id,
    name: j.name,
    state: j.state,
    backend: j.backend,
    tenant_id: j.tenant_id,
    submitted_by: j.submitted_by,
    client_request_id: j.client_request_id ?? '',
    num_qubits: j.num_qubits,
    num_clbits: j.num_clbits,
    gate_count: j.gate_count,
    shots: j.shots,
    seed: j.seed,
    probabilities: j.probabilities === 1,
    priority: j.priority,
    attempts: j.attempts,
    created_at: timestamp(j.created_at),
    started_at: timestamp(j.started_at),
    finished_at: timestamp(j.finished_at),
    error: j.error ?? '',
    cpus: j.cpus ? (JSON.parse(j.cpus) as number[]) : [],
    memory_bytes: String(j.memory_bytes),
    format: j.format,
    numa_node: j.numa_node ?? undefined,
    wait_reason: waitReason ?? '',
    requested_cpus: j.requested_cpus,
    placement: j.placement ? JSON.parse(j.placement) : undefined,
  }
}

export function resultMessage(jobId: string, r: JobResultDoc): Record<string, unknown> {
  const counts: Record<string, string> = {}
  for (const [k, v] of Object.entries(r.counts)) counts[k] = String(v)
  const rep = r.reproducibility
  return {
    job_id: jobId,
    counts,
    probabilities_json: r.probabilities ? JSON.stringify(r.probabilities) : '',
    stats: {
      gates: String(r.stats.gates),
      apply_seconds: r.stats.apply_seconds,
      wall_seconds: r.stats.wall_seconds,
      peak_rss_bytes: String(r.stats.peak_rss_bytes),
      threads: r.stats.threads,
      precision: r.stats.precision,
      ops: String(r.stats.ops),
      fused_ops: String(r.stats.fused_ops ?? 0),
      passes: String(r.stats.passes ?? 0),
    },
    reproducibility: { ...rep, seed: rep.seed },
  }
}
