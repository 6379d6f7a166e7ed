// SPDX-License-Identifier: Apache-2.0
// What compiled this binary: shared by the addon's buildInfo() and the
// runner's "build" object, so both report the same thing.
#ifndef Z3BRA_BUILD_INFO_H_
#define Z3BRA_BUILD_INFO_H_

#ifndef Z3BRA_BUILD_FLAGS
#define Z3BRA_BUILD_FLAGS "unknown"
#endif

namespace z3bra {

constexpr const char* kSimulatorVersion = "z3bra-sim 0.1.0";

#if defined(__clang__)
constexpr const char* kCompiler = "clang " __clang_version__;
#elif defined(__GNUC__)
constexpr const char* kCompiler = "g++ " __VERSION__;
#else
constexpr const char* kCompiler = "unknown";
#endif

constexpr const char* kBuildFlags = Z3BRA_BUILD_FLAGS;

// The instruction set the compiler was allowed to target, not what the CPU
// could do: that is what decides the speed of the kernels.
#if defined(__AVX2__) && defined(__FMA__)
constexpr const char* kSimd = "avx2+fma";
#elif defined(__SSE2__)
constexpr const char* kSimd = "sse2";
#elif defined(__ARM_NEON)
constexpr const char* kSimd = "neon";
#else
constexpr const char* kSimd = "generic";
#endif

}  // namespace z3bra

#endif  // Z3BRA_BUILD_INFO_H_
