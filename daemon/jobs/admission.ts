// SPDX-License-Identifier: Apache-2.0
// What a submission must satisfy before it becomes a job: fields in range, a
// circuit that parses, and a statevector that fits the host.
import { createHash, randomBytes } from 'node:crypto'
import type { Circuit } from '../circuit/ir'
import type { Config } from '../config'
import { AgentError } from '../errors'
import { parseCircuit, QasmError } from '../qasm'
import type { JobRow } from '../store/jobs'
import { plainText } from '../text'

export const MAX_CLIENT_REQUEST_ID_CHARS = 128
export const MAX_NAME_CHARS = 200

/** The backends this host runs jobs on. */
export const OFFERED_BACKENDS: readonly string[] = ['local']

/** Returns `backend` when this host offers it; else Z3_BACKEND_UNKNOWN, whatever the caller's role. */
export function checkBackend(backend: string): string {
  if (!OFFERED_BACKENDS.includes(backend)) {
    throw new AgentError('Z3_BACKEND_UNKNOWN', `Backend "${backend}" is not offered by this host; it offers "${OFFERED_BACKENDS.join('", "')}".`)
  }
  return backend
}
export const AMPLITUDE_BYTES = 16

export interface SubmitFields {
  source: string
  format?: string
  shots: number
  seed?: string | number | bigint | null
  probabilities: boolean
  backend?: string
  clientRequestId?: string
  name?: string
  priority?: number
  /** CPUs asked for; 0 or unset: the scheduler's default for the size. */
  cpus?: number
  /** 'single' or 'double'; empty or unset: double. */
  precision?: string
  /** Decided by the IAM gate before admission (daemon/iam/iam.ts). */
  classification?: 'phi' | 'de-identified' | 'public'
  justification?: string
  /** The UTC month the job is charged to; null: not charged. */
  chargedPeriod?: string | null
  /** Runs inside the insert's transaction with the row in place; throws to refuse. */
  afterInsert?: (job: JobRow) => void
}

export interface Admitted {
  circuit: Circuit
  format: 'openqasm2' | 'openqasm3'
  seed: bigint
  backend: string
  memoryBytes: number
  precision: 'single' | 'double'
  sourceSha256: string
}

export function statevectorBytes(qubits: number): number {
  return AMPLITUDE_BYTES * 2 ** qubits
}

function detectFormat(source: string): 'openqasm2' | 'openqasm3' | undefined {
  // The version statement is the first statement; comments may precede it.
  const stripped = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '')
  const m = /^\s*OPENQASM\s+(\d+)(?:\.(\d+))?\s*;/.exec(stripped)
  if (!m) return undefined
  return m[1] === '2' ? 'openqasm2' : m[1] === '3' ? 'openqasm3' : undefined
}

/** Parses a circuit with the host's limits, mapping parser errors to ours. */
export function compileCircuit(source: string, config: Config): Circuit {
  try {
    return parseCircuit(source, {
      maxQubits: config.limits.maxQubits,
      maxSourceBytes: config.limits.maxSourceBytes,
      maxOps: config.limits.maxOps,
    })
  } catch (err) {
    if (err instanceof QasmError) {
      throw new AgentError(err.code === 'QASM_LIMIT' ? 'Z3_CIRCUIT_LIMIT' : 'Z3_CIRCUIT_INVALID', err.message)
    }
    throw err
  }
}

export function admit(f: SubmitFields, config: Config, memoryLimitBytes: number): Admitted {
  if (typeof f.source !== 'string' || f.source.length === 0) {
    throw new AgentError('Z3_INVALID_ARGUMENT', 'SubmitJob needs the circuit source in "source".')
  }
  if (Buffer.byteLength(f.source, 'utf8') > config.limits.maxSourceBytes) {
    throw new AgentError(
      'Z3_CIRCUIT_LIMIT',
      `The circuit source is ${Buffer.byteLength(f.source, 'utf8')} bytes, above the limit of ${config.limits.maxSourceBytes} (maxSourceBytes).`,
    )
  }
  const backend = checkBackend(f.backend || 'local')
  if (!Number.isInteger(f.shots) || f.shots < 0 || f.shots > config.limits.maxShots) {
    throw new AgentError('Z3_HOST_LIMIT', `shots must be between 0 and ${config.limits.maxShots} (maxShots); got ${f.shots}.`)
  }
  if (f.shots === 0 && !f.probabilities) {
    throw new AgentError('Z3_INVALID_ARGUMENT', 'A job needs shots > 0, or probabilities, or both.')
  }
  plainText(f.clientRequestId ?? '', 'client_request_id', MAX_CLIENT_REQUEST_ID_CHARS)
  plainText(f.name ?? '', 'name', MAX_NAME_CHARS)
  const priority = f.priority ?? 0
  if (!Number.isInteger(priority) || priority < -100 || priority > 100) {
    throw new AgentError('Z3_INVALID_ARGUMENT', `priority must be an integer from -100 to 100; got ${priority}.`)
  }
  const detected = detectFormat(f.source)
  const format = f.format ?? ''
  if (!['', 'CIRCUIT_FORMAT_UNSPECIFIED', 'OPENQASM2', 'OPENQASM3'].includes(String(format))) {
    throw new AgentError('Z3_INVALID_ARGUMENT', `format must be OPENQASM2, OPENQASM3 or unspecified; got "${format}".`)
  }
  const wanted = format === 'OPENQASM3' ? 'openqasm3' : format === 'OPENQASM2' ? 'openqasm2' : undefined
  if (wanted && detected && wanted !== detected) {
    throw new AgentError('Z3_INVALID_ARGUMENT', `format says ${wanted} but the source declares ${detected}.`)
  }
  const precision = f.precision === undefined || f.precision === '' ? 'double' : f.precision
  if (precision !== 'single' && precision !== 'double') {
    throw new AgentError('Z3_INVALID_ARGUMENT', `precision must be "single" or "double"; got "${f.precision}".`)
  }
  const circuit = compileCircuit(f.source, config)
  const amplitude = precision === 'single' ? AMPLITUDE_BYTES / 2 : AMPLITUDE_BYTES
  const memoryBytes = amplitude * 2 ** circuit.numQubits
  if (memoryBytes > memoryLimitBytes) {
    throw new AgentError(
      'Z3_MEMORY_LIMIT',
      `The circuit's ${circuit.numQubits}-qubit statevector needs ${memoryBytes} bytes (${amplitude} * 2^${circuit.numQubits}), above this host's limit of ${memoryLimitBytes} bytes (memoryLimitBytes).` +
        (precision === 'double' && memoryBytes / 2 <= memoryLimitBytes ? ` In single precision (precision "single") it needs ${memoryBytes / 2} bytes, which fits.` : ''),
    )
  }
  let seed: bigint
  if (f.seed === undefined || f.seed === null || f.seed === '') {
    seed = randomBytes(8).readBigUInt64BE()
  } else {
    try {
      seed = BigInt(f.seed)
    } catch {
      throw new AgentError('Z3_INVALID_ARGUMENT', `seed must be an unsigned 64-bit integer; got "${f.seed}".`)
    }
    if (seed < 0n || seed >= 1n << 64n) {
      throw new AgentError('Z3_INVALID_ARGUMENT', `seed must be an unsigned 64-bit integer; got "${f.seed}".`)
    }
  }
  return {
    circuit,
    format: detected ?? wanted ?? (circuit.version.startsWith('3') ? 'openqasm3' : 'openqasm2'),
    seed,
    backend,
    memoryBytes,
    precision,
    sourceSha256: createHash('sha256').update(f.source, 'utf8').digest('hex'),
  }
}
