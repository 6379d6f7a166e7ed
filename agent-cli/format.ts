// SPDX-License-Identifier: Apache-2.0
// Wire messages to the CLI's two outputs: JSON (a stable contract, see
// the README's CLI section) and text for people, laid out like `systemctl status`.

type Msg = Record<string, any>

/**
 * Writes text from the daemon to stdout for a terminal: any control
 * character but the newlines the formatting puts there is shown as an
 * escape, never obeyed. (The daemon refuses them in names and reasons;
 * older records may hold some.) JSON output escapes them by itself.
 */
export function print(s: string): void {
  process.stdout.write(s.replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`))
}

export function isoTime(ts: Msg | null | undefined): string | null {
  if (!ts) return null
  return new Date(Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6)).toISOString()
}

export function jobJson(j: Msg): Msg {
  return {
    job_id: j.job_id,
    name: j.name,
    state: j.state,
    backend: j.backend,
    tenant_id: j.tenant_id,
    submitted_by: j.submitted_by,
    classification: j.classification,
    justification: j.justification || null,
    client_request_id: j.client_request_id,
    format: j.format,
    num_qubits: j.num_qubits,
    num_clbits: j.num_clbits,
    gate_count: j.gate_count,
    shots: j.shots,
    seed: j.seed,
    probabilities: j.probabilities,
    priority: j.priority,
    attempts: j.attempts,
    memory_bytes: Number(j.memory_bytes),
    cpus: j.cpus,
    numa_node: j.numa_node ?? null,
    placement: j.placement ?? null,
    requested_cpus: j.requested_cpus,
    wait_reason: j.wait_reason || null,
    created_at: isoTime(j.created_at),
    started_at: isoTime(j.started_at),
    finished_at: isoTime(j.finished_at),
    error: j.error || null,
  }
}

export function resultJson(r: Msg): Msg {
  const counts: Record<string, number> = {}
  for (const [k, v] of Object.entries(r.counts as Record<string, string>)) counts[k] = Number(v)
  const s = r.stats ?? {}
  return {
    counts,
    probabilities: r.probabilities_json ? JSON.parse(r.probabilities_json) : null,
    stats: {
      gates: Number(s.gates),
      ops: Number(s.ops),
      fused_ops: Number(s.fused_ops ?? 0),
      passes: Number(s.passes ?? 0),
      apply_seconds: s.apply_seconds,
      wall_seconds: s.wall_seconds,
      peak_rss_bytes: Number(s.peak_rss_bytes),
      threads: s.threads,
      precision: s.precision,
    },
    reproducibility: r.reproducibility,
  }
}

export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  let v = n
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`
}

export function duration(seconds: number): string {
  const s = Math.floor(seconds)
  const d = Math.floor(s / 86400)
  const h = Math.floor((s % 86400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  const parts = [d && `${d}d`, (d || h) && `${h}h`, (d || h || m) && `${m}min`, `${s % 60}s`].filter(Boolean)
  return parts.join(' ')
}

const DOT: Record<string, string> = { QUEUED: '○', RUNNING: '●', SUCCEEDED: '✓', FAILED: '×', CANCELLED: '-' }

const CPU_MARK: Record<string, string> = { free: '.', busy: '#', reserved: 'r', cordoned: 'c' }

/** One line per NUMA node: each CPU as a mark, then who holds what. */
function coreMap(st: Msg): string[] {
  const out: string[] = []
  const cpus = st.cpus as Msg[]
  for (const n of st.nodes as Msg[]) {
    const mine = cpus.filter((c) => c.node === n.node)
    const marks = mine.map((c) => `${c.cpu}${CPU_MARK[c.state] ?? '?'}`).join(' ')
    out.push(`            node ${n.node} (${bytes(Number(n.memory_bytes))}): ${marks}`)
    const byJob = new Map<string, number[]>()
    for (const c of mine) if (c.job_id) byJob.set(c.job_id, [...(byJob.get(c.job_id) ?? []), c.cpu])
    for (const [job, list] of byJob) out.push(`              cpu ${list.join(',')}: job ${job}`)
    for (const c of mine) if (c.state === 'cordoned') out.push(`              cpu ${c.cpu}: cordoned (${c.reason})`)
  }
  return out
}

export function statusText(st: Msg): string {
  const cpus = st.cpus as Msg[]
  const count = (state: string) => cpus.filter((c) => c.state === state).length
  const byState = st.jobs_by_state as Record<string, string>
  const limit = Number(st.memory_limit_bytes)
  const maxQubits = Math.floor(Math.log2(limit / 16))
  const lines = [
    `● z3bra-agentd - Z3BRA host agent on ${st.hostname}`,
    `     State: ${st.state}${st.drain ? ` (drained by ${st.drain.actor} at ${isoTime(st.drain.time)}: ${st.drain.reason})` : ''}`,
    ...(st.degraded_reasons as string[]).map((r) => `  Degraded: ${r}`),
    `   Version: ${st.version}${st.git_commit ? ` (commit ${String(st.git_commit).slice(0, 12)})` : ''}`,
    `    Uptime: ${duration(st.uptime_seconds)} (since ${isoTime(st.started_at)})`,
    `       PID: ${st.pid}`,
    `    Socket: ${st.socket_path}`,
    `     Store: ${st.state_dir}/agent.db`,
    `    Kernel: ${st.kernel}`,
    `      CPUs: ${st.cpus_online} online: ${count('busy')} busy, ${count('free')} free, ${count('reserved')} reserved, ${count('cordoned')} cordoned${st.smt ? '; SMT' : ''}${st.whole_cores ? '; whole cores' : ''}`,
    ...coreMap(st),
    `   Pinning: ${st.cpu_enforcement === 'affinity' ? 'affinity mask only (no cpuset hierarchy to use)' : `a cpuset per job (${st.cpu_enforcement})`}`,
    `    Memory: ${bytes(Number(st.memory_available_bytes))} available of ${bytes(Number(st.memory_total_bytes))}; statevector limit ${bytes(limit)} (${maxQubits} qubits)`,
    `     Queue: ${st.queue_depth} queued, ${st.running_jobs} running${st.head_job_id ? `; next ${st.head_job_id}: ${st.head_wait_reason}` : ''}`,
    ...(st.tenants as Msg[]).map((t) => `            tenant ${t.tenant_id}: ${t.queued} queued, fair-share factor ${t.fair_share_factor.toFixed(3)} (weight ${t.weight})`),
    `      Jobs: ${byState.SUCCEEDED ?? 0} succeeded, ${byState.FAILED ?? 0} failed, ${byState.CANCELLED ?? 0} cancelled`,
    `            (cpu marks: . free  # busy  r reserved  c cordoned)`,
  ]
  return lines.join('\n') + '\n'
}

export function jobText(j: Msg): string {
  const rows: [string, string | number | null][] = [
    ['State', j.state + (j.error ? ` (${j.error})` : '')],
    ['Name', j.name || null],
    ['Backend', j.backend],
    ['Tenant', `${j.tenant_id} (by ${j.submitted_by})`],
    ['Data', j.classification ? `${j.classification}${j.justification ? ` (${j.justification})` : ''}` : null],
    ['Circuit', `${j.format}, ${j.num_qubits} qubits, ${j.num_clbits} clbits, ${j.gate_count} gates`],
    ['Shots', `${j.shots}${j.probabilities ? ' + exact probabilities' : ''}, seed ${j.seed}`],
    ['Memory', bytes(Number(j.memory_bytes))],
    ['CPUs', j.cpus.length ? `${j.cpus.join(',')}${j.numa_node === -1 ? ' (across NUMA nodes)' : j.numa_node !== undefined && j.numa_node !== null ? ` (NUMA node ${j.numa_node})` : ''}` : null],
    ['Placement', j.placement ? `${j.placement.enforced_by}: Cpus_allowed_list ${j.placement.cpus_allowed_list}, Mems_allowed_list ${j.placement.mems_allowed_list}${j.placement.cpuset ? `; ${j.placement.cpuset} (effective CPUs ${j.placement.cpuset_cpus_effective}, memory nodes ${j.placement.cpuset_mems_effective})` : ''}` : null],
    ['Waiting', j.wait_reason || null],
    ['Attempts', j.attempts],
    ['Created', isoTime(j.created_at)],
    ['Started', isoTime(j.started_at)],
    ['Finished', isoTime(j.finished_at)],
    ['Request', j.client_request_id || null],
  ]
  const out = [`${DOT[j.state] ?? '?'} job ${j.job_id}`]
  for (const [k, v] of rows) if (v !== null && v !== '') out.push(`${k.padStart(10)}: ${v}`)
  return out.join('\n') + '\n'
}

export function jobsTable(jobs: Msg[]): string {
  const head = ['JOB', 'STATE', 'QUBITS', 'SHOTS', 'CREATED', 'NAME']
  const rows = jobs.map((j) => [
    j.job_id,
    j.state === 'QUEUED' && j.wait_reason ? `QUEUED (${j.wait_reason})` : j.state,
    String(j.num_qubits),
    String(j.shots),
    isoTime(j.created_at) ?? '',
    j.name,
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()
  return [line(head), ...rows.map(line)].join('\n') + '\n'
}

// Outcomes printed per table; --json has them all.
const PROBABILITIES_SHOWN = 64

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`
// A circuit without classical bits has one outcome: the empty key.
const outcomeKey = (k: string) => k || '(no clbits)'

export function resultText(jobId: string, r: Msg): string {
  const out = [`result of job ${jobId}`]
  const counts = Object.entries(r.counts as Record<string, number>).sort((a, b) => b[1] - a[1])
  const total = counts.reduce((s, [, n]) => s + n, 0)
  if (counts.length) {
    out.push(`  counts (${total} shots, ${plural(counts.length, 'outcome', 'outcomes')}):`)
    const shown = counts.slice(0, 32)
    const w = Math.max(...shown.map(([k]) => outcomeKey(k).length))
    for (const [k, n] of shown) out.push(`    ${outcomeKey(k).padEnd(w)}  ${String(n).padStart(8)}  ${((100 * n) / total).toFixed(2)}%`)
    if (counts.length > shown.length) out.push(`    ... ${counts.length - shown.length} more (use --json)`)
  }
  if (r.probabilities) {
    const p = r.probabilities
    const dist = (p.probabilities ?? p.top) as Record<string, number>
    const all = Object.entries(dist).sort((a, b) => b[1] - a[1])
    const entries = all.slice(0, PROBABILITIES_SHOWN)
    out.push(`  probabilities (${plural(p.outcomes, 'outcome', 'outcomes')}, ${entries.length} most likely shown):`)
    for (const [k, v] of entries) out.push(`    ${outcomeKey(k)}  ${v.toPrecision(12)}`)
    if (p.outcomes > entries.length) out.push(`    ... ${p.outcomes - entries.length} more (use --json${p.top ? '; beyond 4096 outcomes only the 64 most likely are kept' : ''})`)
    const bits = p.bit_one_probability as number[] | undefined
    if (bits) {
      out.push('  probability of reading 1, per classical bit (bit 0 first):')
      for (let i = 0; i < bits.length; i += 8) out.push(`    ${bits.slice(i, i + 8).map((b, j) => `${i + j}:${b.toFixed(6)}`).join('  ')}`)
    }
  }
  const s = r.stats
  const fused = s.fused_ops
    ? ` as ${plural(s.fused_ops, 'fused step', 'fused steps')} in ${plural(s.passes, 'pass', 'passes')} over the state`
    : ''
  out.push(`  stats: ${s.gates} gates applied${fused}, ${s.wall_seconds.toFixed(4)} s wall, ${s.apply_seconds.toFixed(4)} s apply, ${s.threads} thread(s), peak ${bytes(s.peak_rss_bytes)}`)
  const rep = r.reproducibility
  out.push(`  ran on CPUs ${rep.cpus.join(',')} with ${rep.simulator} (${rep.simd}), seed ${rep.seed}`)
  if (s.threads < rep.cpus.length) {
    // The simulator runs a small state on one thread (native/README.md, "Placement").
    out.push(`  note: ${plural(rep.cpus.length, 'CPU', 'CPUs')} held, ${s.threads} used: a state under 2^14 amplitudes runs on one thread`)
  }
  return out.join('\n') + '\n'
}
