// SPDX-License-Identifier: Apache-2.0
// The AVX2+FMA build of the dense group loop. Only this file is compiled
// for AVX2 (the pragma below), so the binary still starts on CPUs without
// it; ActiveKernels() calls in here only after __builtin_cpu_supports.
#include <cstdint>

#include "dense.h"

#if defined(__x86_64__)
#pragma GCC target("avx2,fma")
#include <immintrin.h>
#define Z3BRA_DENSE_AVX2 1

namespace z3bra {
namespace avx2 {
namespace {
constexpr const char* kName = "avx2+fma";
#include "dense-impl.h"
}  // namespace
}  // namespace avx2

const DenseKernels* Avx2Kernels() { return &avx2::kTable; }

}  // namespace z3bra
#else
namespace z3bra {
const DenseKernels* Avx2Kernels() { return nullptr; }
}  // namespace z3bra
#endif
