// SPDX-License-Identifier: Apache-2.0
// The same AVX2+FMA kernels (dense-impl.h) compiled with AVX-512VL allowed:
// the vectors stay 256 bits wide, but the compiler gets 32 vector registers
// instead of 16, so a 2-qubit gate's matrix rows stay in registers instead
// of being reloaded per column (unfused dense 2q gates on one thread: a
// median 1.38 floor passes with the AVX2 build, 1.23 with this one, same
// run). With those registers, dense blocks of 3 qubits and more take the
// three-product kernels (GaussPairs, GaussQuadsF in dense-impl.h). Chosen
// at run time only when the CPU has AVX-512F and AVX-512VL.
#include <cstdint>

#include "dense.h"

#if defined(__x86_64__)
#pragma GCC target("avx2,fma,avx512f,avx512vl")
#include <immintrin.h>
#define Z3BRA_DENSE_AVX2 1
#define Z3BRA_DENSE_WIDE_REGS 1

namespace z3bra {
namespace avx512 {
namespace {
constexpr const char* kName = "avx2+fma+avx512vl";
#include "dense-impl.h"
}  // namespace
}  // namespace avx512

const DenseKernels* Avx512Kernels() { return &avx512::kTable; }

}  // namespace z3bra
#else
namespace z3bra {
const DenseKernels* Avx512Kernels() { return nullptr; }
}  // namespace z3bra
#endif
