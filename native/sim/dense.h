// SPDX-License-Identifier: Apache-2.0
// Dense k-qubit gates (k = 1..kMaxDense): the kernel behind unfused dense
// 1q and 2q gates and behind every fused block. Two builds of the same
// arithmetic live behind one dispatch: AVX2+FMA, chosen at run time when the
// CPU has it, and a portable one (forced with Z3BRA_SIM_SIMD=portable).
#ifndef Z3BRA_SIM_DENSE_H_
#define Z3BRA_SIM_DENSE_H_

#include <cstdint>

#include "pool.h"
#include "state.h"

namespace z3bra {

constexpr int kMaxDense = 5;

// The inner loop over groups of 2^k amplitudes: for every compressed index
// i in [b, e), the group is base(i) + off[c], base(i) the index with zero
// bits at `mask`, walked in ascending order from first_base = base(b).
// The same for a complex-float state; m is the matrix rounded to float.
using GroupsFn = void (*)(double* a, uint64_t mask, const uint64_t* off, uint64_t first_base, uint64_t count,
                          const double* m);
using GroupsFnF = void (*)(float* a, uint64_t mask, const uint64_t* off, uint64_t first_base, uint64_t count,
                           const float* m);

// Contiguous amplitudes a[0..len) times one phase (re, im); and times four
// phases repeating every four amplitudes (ph: re/im pairs; len a multiple
// of 4). The diagonal kernels' inner loops.
using PhaseFn = void (*)(double* a, uint64_t len, double re, double im);
using PhaseFnF = void (*)(float* a, uint64_t len, double re, double im);
using Phase4Fn = void (*)(double* a, uint64_t len, const double* ph);
using Phase4FnF = void (*)(float* a, uint64_t len, const float* ph);

struct DenseKernels {
  const char* name;  // "avx2+fma", "avx2+fma+avx512vl", or the baseline build-info.h names
  GroupsFn groups[kMaxDense + 1];  // index k; [0] unused
  GroupsFnF groups_f[kMaxDense + 1];
  // The same as groups, for a gate whose lowest qubit is at least 1, with
  // an even first base and count (two adjacent groups per step).
  GroupsFn pairs[kMaxDense + 1];
  // The same for complex float, lowest qubit >= 2, four groups per step.
  GroupsFnF quads_f[kMaxDense + 1];
  // The same as groups, for a gate on qubit 0 (two groups per step).
  GroupsFn low[kMaxDense + 1];
  PhaseFn phase;
  PhaseFnF phase_f;
  Phase4Fn phase4;
  Phase4FnF phase4_f;
};

const DenseKernels& PortableKernels();
// nullptr when this build has no AVX2 variant.
const DenseKernels* Avx2Kernels();
// The AVX2 kernels compiled with AVX-512VL's 32 vector registers; nullptr
// when this build has none.
const DenseKernels* Avx512Kernels();
// The variant in use: AVX2 when the CPU supports AVX2 and FMA and
// Z3BRA_SIM_SIMD is not "portable"; decided once.
const DenseKernels& ActiveKernels();

// Applies the 2^k x 2^k matrix m (row-major, re/im pairs; basis bit j is
// qubits[j]) on the given distinct qubits, in any order.
void ApplyDense(Pool& pool, State& s, const int* qubits, int k, const double* m);

}  // namespace z3bra

#endif  // Z3BRA_SIM_DENSE_H_
