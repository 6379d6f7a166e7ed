// SPDX-License-Identifier: Apache-2.0
// Every error the agent hands to a caller, in one table: a stable code, the
// gRPC status it maps to, and a one-line meaning. docs/errors.md carries the
// same table for operators, and test/unit/errors.test.ts fails when the two
// drift. Codes are never reused once retired.
import { status } from '@grpc/grpc-js'

export const ERROR_CODES = {
  Z3_UNAUTHENTICATED: { grpc: status.UNAUTHENTICATED, meaning: 'no bearer token, or a token this host does not know' },
  Z3_PERMISSION_DENIED: { grpc: status.PERMISSION_DENIED, meaning: "the caller's role may not do this" },
  Z3_NOT_FOUND: { grpc: status.NOT_FOUND, meaning: 'no such job (or it belongs to another tenant)' },
  Z3_INVALID_ARGUMENT: { grpc: status.INVALID_ARGUMENT, meaning: 'a request field is out of range or malformed' },
  Z3_CIRCUIT_INVALID: { grpc: status.INVALID_ARGUMENT, meaning: 'the circuit does not parse or uses something unsupported; the message names line and column' },
  Z3_CIRCUIT_LIMIT: { grpc: status.INVALID_ARGUMENT, meaning: 'the circuit exceeds a parser limit (size, qubits, ops, nesting)' },
  Z3_MEMORY_LIMIT: { grpc: status.RESOURCE_EXHAUSTED, meaning: 'the statevector needs more memory than the host admits' },
  Z3_HOST_LIMIT: { grpc: status.RESOURCE_EXHAUSTED, meaning: 'shots or qubits above the host limit' },
  Z3_DRAINING: { grpc: status.FAILED_PRECONDITION, meaning: 'the host is draining or shutting down and takes no new jobs' },
  Z3_JOB_ENDED: { grpc: status.FAILED_PRECONDITION, meaning: 'the job has already ended' },
  Z3_RESULT_NOT_READY: { grpc: status.FAILED_PRECONDITION, meaning: 'the job has not succeeded, so it has no result' },
  Z3_BACKEND_UNKNOWN: { grpc: status.INVALID_ARGUMENT, meaning: 'the backend is not one this host offers' },
  Z3_TENANT_NOT_FOUND: { grpc: status.NOT_FOUND, meaning: 'no such tenant, user or token (or it belongs to another tenant)' },
  Z3_ALREADY_EXISTS: { grpc: status.ALREADY_EXISTS, meaning: 'a tenant or user with that id already exists' },
  Z3_REQUEST_ID_REUSED: { grpc: status.ALREADY_EXISTS, meaning: 'the client_request_id names an earlier job with a different circuit, shots, seed or probabilities flag' },
  Z3_QUOTA_EXCEEDED: { grpc: status.RESOURCE_EXHAUSTED, meaning: "a plan or host quota is used up; the message names the limit, the usage and the period's end" },
  Z3_TRIAL_EXPIRED: { grpc: status.FAILED_PRECONDITION, meaning: "the tenant's free trial has ended" },
  Z3_SUBSCRIPTION_INACTIVE: { grpc: status.FAILED_PRECONDITION, meaning: "the tenant's subscription is suspended or canceled" },
  Z3_CLASSIFICATION_DENIED: { grpc: status.PERMISSION_DENIED, meaning: "the caller's role or the tenant's plan may not handle this data classification" },
  Z3_HIPAA_REQUIRED: { grpc: status.FAILED_PRECONDITION, meaning: 'PHI work needs a tenant with HIPAA enabled and a signed BAA' },
  Z3_JUSTIFICATION_REQUIRED: { grpc: status.INVALID_ARGUMENT, meaning: 'PHI work needs a justification' },
  Z3_INTERNAL: { grpc: status.INTERNAL, meaning: 'the agent failed; the log has the details' },
} as const

export type ErrorCode = keyof typeof ERROR_CODES

/** A failure to report to the caller: a stable code and one full sentence. */
export class AgentError extends Error {
  readonly code: ErrorCode
  readonly grpcCode: number
  constructor(code: ErrorCode, message: string) {
    super(message)
    this.name = 'AgentError'
    this.code = code
    this.grpcCode = ERROR_CODES[code].grpc
  }
}
