// SPDX-License-Identifier: Apache-2.0
// Runs one parsed circuit: the unitary pass, shot sampling and the exact
// distribution, choosing the terminal fast path when the circuit allows it.
#ifndef Z3BRA_SIM_RUN_H_
#define Z3BRA_SIM_RUN_H_

#include <cstdint>
#include <map>
#include <string>

#include "analyse.h"
#include "circuit.h"
#include "pool.h"
#include "state.h"

namespace z3bra {

struct RunResult {
  std::map<Bits, uint64_t> counts;  // empty when shots == 0
  bool has_distribution = false;
  Distribution distribution;
  std::string method;  // "terminal" or "branches"
  uint64_t gates = 0;
  uint64_t fused_ops = 0;  // steps that ran: fused blocks plus gates run as they are
  uint64_t passes = 0;     // passes over the state of the unitary prefix: stages plus steps run directly
  double apply_seconds = 0;  // planning, gates, sampling and the distribution
  double init_seconds = 0;   // mapping the state and its first touch
};

// branch_memory_bytes bounds the states alive at once while enumerating
// measurement branches.
RunResult RunCircuit(const Circuit& c, Pool& pool, uint64_t branch_memory_bytes);

// One gate, unfused, on the kernel the runner picks for it (the benchmark
// times exactly this).
void ApplyUnitary(Pool& pool, State& s, const Op& op);

// Z3BRA_SIM_KERNELS=dense: every gate through the dense kernel.
bool DenseOnly();
// Z3BRA_SIM_PROFILE=1: one line per stage on stderr.
bool ProfileStages();

}  // namespace z3bra

#endif  // Z3BRA_SIM_RUN_H_
