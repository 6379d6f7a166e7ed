// SPDX-License-Identifier: Apache-2.0
// Loads the contract from proto/: the daemon and the CLI read the same files.
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'
import { PROTO_DIR, PROTO_FILES } from '../paths'

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
}

export function loadDefinition(): protoLoader.PackageDefinition {
  return protoLoader.loadSync(PROTO_FILES, LOADER_OPTIONS)
}

export interface AgentPackage {
  JobService: grpc.ServiceClientConstructor
  HostService: grpc.ServiceClientConstructor
}

export function agentPackage(def: protoLoader.PackageDefinition): AgentPackage {
  const root = grpc.loadPackageDefinition(def) as unknown as { z3bra: { agent: { v1: AgentPackage } } }
  return root.z3bra.agent.v1
}
