// SPDX-License-Identifier: Apache-2.0
// The portable build of the dense group loop: plain C++ for the baseline
// instruction set this file is compiled for.
#include <cstdint>

#include "build-info.h"
#include "dense.h"

namespace z3bra {
namespace portable {
namespace {
constexpr const char* kName = kSimd;
#include "dense-impl.h"
}  // namespace
}  // namespace portable

const DenseKernels& PortableKernels() { return portable::kTable; }

}  // namespace z3bra
