// SPDX-License-Identifier: Apache-2.0
// The statevector kernels, apart from the circuit runner so that faster
// variants (gate fusion, explicit AVX2) can replace one function at a time.
// Every kernel splits its index range over the pool; every reduction sums
// fixed chunks of kChunk amplitudes and then the chunks in order, so a
// result never depends on the number of threads.
#ifndef Z3BRA_SIM_KERNELS_H_
#define Z3BRA_SIM_KERNELS_H_

#include <cstdint>
#include <vector>

#include "pool.h"
#include "state.h"

namespace z3bra {

constexpr uint64_t kChunk = 4096;

// |0...0>, written by the workers (first touch places the pages).
void InitZero(Pool& pool, State& s);
void CopyState(Pool& pool, const State& from, State& to);

// m: 2x2 row-major, re/im pairs. Applied where every control is 1.
void ApplyU(Pool& pool, State& s, int target, const std::vector<int>& controls, const double* m);
void ApplySwap(Pool& pool, State& s, int a, int b, const std::vector<int>& controls);
// m: 4x4 row-major, re/im pairs; basis bit 0 is q0, bit 1 is q1.
void ApplyU2(Pool& pool, State& s, int q0, int q1, const double* m);

// A diagonal block on the sorted qubits q[0..k-1]: amplitude i times
// diag[local index of i] (re/im pairs, bit j of the index = qubit q[j]).
// Only the subspace where the block is not 1 is visited: each qubit whose
// 0 half the whole diagonal leaves at 1 is walked at 1 only.
void ApplyDiagonalBlock(Pool& pool, State& s, const int* q, int k, const double* diag);
// A permutation block on the sorted qubits q[0..k-1]: amplitude with local
// index r takes the one with local index from[r]. Amplitudes are moved,
// never multiplied; fixed points are not touched.
void ApplyPermutationBlock(Pool& pool, State& s, const int* q, int k, const int* from);

// Probabilities of qubit q reading 0 and 1 (not renormalised).
void QubitProbabilities(Pool& pool, const State& s, int q, double* p0, double* p1);
// Keeps the half where qubit q == outcome, scaled by 1/sqrt(prob); with
// reset, moves that half to q == 0.
void Collapse(Pool& pool, State& s, int q, int outcome, double prob, bool reset);

// Sum of |a|^2 over each kChunk-amplitude chunk, in index order.
std::vector<double> ChunkNorms(Pool& pool, const State& s);

// Multiplies every amplitude by (re, im): one in-place read and write of the
// whole vector, the memory-bandwidth floor of any gate.
void Scale(Pool& pool, State& s, double re, double im);

}  // namespace z3bra

#endif  // Z3BRA_SIM_KERNELS_H_
