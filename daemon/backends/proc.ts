// SPDX-License-Identifier: Apache-2.0
// Reading a process's placement back from /proc: the kernel's word on where
// it may run, which is what a job records, not what was asked for.
import fs from 'node:fs'

/** Parses a kernel CPU list such as "0-3,8,10-11". */
/** The largest CPU number a list may name (the kernel's CONFIG_NR_CPUS tops out at 8192). */
export const MAX_CPU_ID = 8191

export function parseCpuList(text: string): number[] {
  const out: number[] = []
  const t = text.trim()
  if (t === '') return out
  for (const part of t.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part)
    if (!m) throw new RangeError(`not a CPU list: "${text}"`)
    const lo = Number(m[1])
    const hi = m[2] === undefined ? lo : Number(m[2])
    // Bounds before expanding: a range is never larger than the CPUs a kernel can have.
    if (hi > MAX_CPU_ID || lo > hi) throw new RangeError(`not a CPU list: "${text}" (CPUs are 0 to ${MAX_CPU_ID}, ranges ascending)`)
    for (let c = lo; c <= hi; c++) out.push(c)
  }
  return out
}

/** Formats CPUs as the kernel does: ascending, runs collapsed. */
export function formatCpuList(cpus: readonly number[]): string {
  const s = [...new Set(cpus)].sort((a, b) => a - b)
  const parts: string[] = []
  for (let i = 0; i < s.length; ) {
    let j = i
    while (j + 1 < s.length && s[j + 1] === s[j] + 1) j++
    parts.push(i === j ? `${s[i]}` : `${s[i]}-${s[j]}`)
    i = j + 1
  }
  return parts.join(',')
}

export interface Placement {
  cpus: number[]
  mems: string
}

export function readPlacement(pid: number): Placement {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
  const cpus = /^Cpus_allowed_list:\s*(.*)$/m.exec(status)
  const mems = /^Mems_allowed_list:\s*(.*)$/m.exec(status)
  if (!cpus) throw new Error(`/proc/${pid}/status has no Cpus_allowed_list`)
  return { cpus: parseCpuList(cpus[1]), mems: mems ? mems[1].trim() : '' }
}

/** True when `pid` is alive and its command line names `needle`. */
export function processMatches(pid: number, needle: string): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle)
  } catch {
    return false
  }
}
