// SPDX-License-Identifier: Apache-2.0
// Gate fusion: a run of gates becomes a shorter list of steps, each either
// one original gate (left to its specialised kernel) or one dense block on
// at most max_qubits qubits, whichever the cost model finds cheaper. The
// plan is made once per circuit, before any amplitude is touched.
#ifndef Z3BRA_SIM_FUSE_H_
#define Z3BRA_SIM_FUSE_H_

#include <cstddef>
#include <vector>

#include "circuit.h"
#include "dense.h"

namespace z3bra {

enum class BlockKind { kDense, kDiagonal, kPermutation };

struct Step {
  size_t op = 0;   // k == 0: run ops[op] as it is
  int k = 0;       // > 0: a block on q[0..k-1]
  // What the block's matrix is: diagonal blocks only multiply (and skip the
  // amplitudes their phases leave alone), permutation blocks only move.
  BlockKind kind = BlockKind::kDense;
  int q[kMaxDense] = {0};
  int gates = 0;   // the original gates this step stands for
  std::vector<double> m;  // 2^k x 2^k, row-major, re/im pairs; bit j is q[j]
};

// The qubits an op acts on (target or pair first, then controls); returns
// their number.
int OpQubits(const Op& op, int* q, int cap);
// The qubits an op acts on, as a mask.
uint64_t OpMask(const Op& op);
// Whether an op is a 1-qubit matrix (any controls) with zero off-diagonals.
bool OpDiagonal(const Op& op);
// The op's full matrix on the qubits `q` (a superset of its own), basis bit
// j being q[j]: controls included, so the result is unitary on 2^k states.
void OpMatrix(const Op& op, const int* q, int k, double* m);

// The unitary ops ops[which[0]], ops[which[1]], ... (in program order, with
// nothing between them that is not a commuting measure) planned into steps.
// max_qubits 0 or 1 keeps every gate as it is.
std::vector<Step> PlanFusion(const std::vector<Op>& ops, const std::vector<size_t>& which, int max_qubits);

// A step's cost in floor passes when it streams the whole state on its own
// (the planner's cost model), and when it runs on a block already in cache
// (the compute alone, measured in-cache on AVX2 hosts: dense blocks of
// 1-4 qubits at 0.48, 0.65, 1.45 and 3.8 ns per amplitude in complex128).
double StepCost(const std::vector<Op>& ops, const Step& st);
double StepCacheCost(const std::vector<Op>& ops, const Step& st);

// The default block size, from the bench on the hosts we measured: past 3
// qubits a complex128 block is compute-bound on AVX2.
constexpr int kDefaultFusionQubits = 3;

// The kind of a 2^k x 2^k matrix (row-major, re/im pairs): diagonal when
// every off-diagonal entry is exactly 0, a permutation when every row and
// column holds one exact 1 and zeros.
BlockKind ClassifyMatrix(const double* m, int k);

}  // namespace z3bra

#endif  // Z3BRA_SIM_FUSE_H_
