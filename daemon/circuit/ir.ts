// SPDX-License-Identifier: Apache-2.0
// The circuit IR: what the OpenQASM front ends produce and what the
// `z3bra-sim` runner consumes. Every gate has already been expanded to one of
// four primitive kinds with numeric matrices, so the runner needs no gate
// table and no expression evaluator. The text wire form is specified in
// docs/runner-protocol.md; `toRunnerInput` below is its only writer.

/** A classical or quantum register, in declaration order. */
export interface Register {
  name: string
  size: number
  /** Global index of the register's bit 0; registers are laid end to end. */
  offset: number
}

/**
 * A 2x2 complex matrix, row-major, as [re00, im00, re01, im01, re10, im10,
 * re11, im11]; applied to the target qubit when every control reads 1.
 */
export interface Unitary1Op {
  kind: 'u'
  target: number
  controls: number[]
  matrix: number[]
}

/** Exchange two qubits when every control reads 1. */
export interface SwapOp {
  kind: 'swap'
  a: number
  b: number
  controls: number[]
}

/**
 * A dense 4x4 complex matrix, row-major, re/im pairs (32 numbers). In the
 * basis index, bit 0 is `q0` and bit 1 is `q1`.
 */
export interface Unitary2Op {
  kind: 'u2'
  q0: number
  q1: number
  matrix: number[]
}

export interface MeasureOp {
  kind: 'measure'
  qubit: number
  clbit: number
}

export interface ResetOp {
  kind: 'reset'
  qubit: number
}

/**
 * Run `op` only when the integer read from `bits` (bits[0] least
 * significant) equals `value`. At most 64 bits.
 */
export interface CondOp {
  kind: 'if'
  bits: number[]
  value: bigint
  op: Unitary1Op | SwapOp | Unitary2Op | MeasureOp | ResetOp
}

export type Op = Unitary1Op | SwapOp | Unitary2Op | MeasureOp | ResetOp | CondOp

export interface Circuit {
  /** '2.0' or '3.0' (or '3'), as the source's version line said. */
  version: string
  numQubits: number
  numClbits: number
  qregs: Register[]
  cregs: Register[]
  /** Barriers are dropped: they order nothing in a statevector simulator. */
  ops: Op[]
  /** Gate applications the source spelled out, after expansion of user gates. */
  gateCount: number
}

export interface RunOptions {
  shots: number
  /** Unsigned 64-bit seed. */
  seed: bigint
  probabilities: boolean
  /** 0: one thread per CPU in the runner's affinity mask. */
  threads: number
  /** Amplitudes in complex double (the default) or complex float. */
  precision?: 'single' | 'double'
  /** Largest fused block in qubits; 0 runs every gate as it is; unset: the runner's choice. */
  fusion?: number
}

const num = (x: number): string => {
  // Shortest round-trip form; the runner parses it with strtod, exactly.
  if (!Number.isFinite(x)) throw new RangeError(`matrix entry is not finite: ${x}`)
  return Object.is(x, -0) ? '0' : String(x)
}

function opLine(op: Op): string {
  switch (op.kind) {
    case 'u':
      return `u ${op.target} ${op.controls.length}${op.controls.map((c) => ' ' + c).join('')} ${op.matrix.map(num).join(' ')}`
    case 'swap':
      return `swap ${op.a} ${op.b} ${op.controls.length}${op.controls.map((c) => ' ' + c).join('')}`
    case 'u2':
      return `u2 ${op.q0} ${op.q1} ${op.matrix.map(num).join(' ')}`
    case 'measure':
      return `measure ${op.qubit} ${op.clbit}`
    case 'reset':
      return `reset ${op.qubit}`
    case 'if':
      return `if ${op.bits.length} ${op.bits.join(' ')} ${op.value.toString()} ${opLine(op.op)}`
  }
}

/** The runner's stdin: header, one op a line, `end`. */
export function toRunnerInput(c: Circuit, run: RunOptions): string {
  const lines = [
    'z3bra-ir 1',
    `qubits ${c.numQubits}`,
    `clbits ${c.numClbits}`,
    ...c.cregs.map((r) => `creg ${r.name} ${r.size}`),
    `shots ${run.shots}`,
    `seed ${BigInt.asUintN(64, run.seed).toString()}`,
    `probabilities ${run.probabilities ? 1 : 0}`,
    `threads ${run.threads}`,
    ...(run.fusion !== undefined ? [`fusion ${run.fusion}`] : []),
    ...(run.precision !== undefined && run.precision !== 'double' ? [`precision ${run.precision}`] : []),
    `ops ${c.ops.length}`,
  ]
  for (const op of c.ops) lines.push(opLine(op))
  lines.push('end', '')
  return lines.join('\n')
}
