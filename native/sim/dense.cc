// SPDX-License-Identifier: Apache-2.0
#include "dense.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "env.h"

namespace z3bra {
namespace {

uint64_t Insert(uint64_t i, const int* sorted, int k) {
  for (int j = 0; j < k; ++j) {
    uint64_t low = i & ((uint64_t{1} << sorted[j]) - 1);
    i = ((i >> sorted[j]) << (sorted[j] + 1)) | low;
  }
  return i;
}

// The matrix with its basis bits reordered so that bit j is sorted[j].
void SortBasis(const int* qubits, int k, const double* m, int* sorted, double* out) {
  int perm[kMaxDense];  // perm[j]: the input bit that sorted bit j was
  for (int j = 0; j < k; ++j) perm[j] = j;
  // Insertion sort: k is at most kMaxDense.
  for (int j = 1; j < k; ++j) {
    for (int i = j; i > 0 && qubits[perm[i]] < qubits[perm[i - 1]]; --i) std::swap(perm[i], perm[i - 1]);
  }
  for (int j = 0; j < k; ++j) sorted[j] = qubits[perm[j]];
  const int d = 1 << k;
  auto map = [&](int s) {
    int o = 0;
    for (int j = 0; j < k; ++j) o |= ((s >> j) & 1) << perm[j];
    return o;
  };
  for (int r = 0; r < d; ++r) {
    for (int c = 0; c < d; ++c) {
      int src = 2 * (d * map(r) + map(c));
      out[2 * (d * r + c)] = m[src];
      out[2 * (d * r + c) + 1] = m[src + 1];
    }
  }
}

void Offsets(const int* sorted, int k, uint64_t* off) {
  for (int c = 0; c < (1 << k); ++c) {
    uint64_t o = 0;
    for (int j = 0; j < k; ++j) {
      if ((c >> j) & 1) o |= uint64_t{1} << sorted[j];
    }
    off[c] = o;
  }
}

const DenseKernels& Choose() {
  // Z3BRA_SIM_SIMD=portable or avx2 caps the choice (for the tests and
  // the benches that compare the builds).
  const std::string env = EnvWord("Z3BRA_SIM_SIMD", {"portable", "avx2"});
  if (env == "portable") return PortableKernels();
  const bool cap_avx2 = env == "avx2";
#if defined(__x86_64__)
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (!cap_avx2 && avx2 && Avx512Kernels() != nullptr && __builtin_cpu_supports("avx512f") &&
      __builtin_cpu_supports("avx512vl")) {
    return *Avx512Kernels();
  }
  if (avx2 && Avx2Kernels() != nullptr) return *Avx2Kernels();
#endif
  return PortableKernels();
}

template <class T>
struct Fn;
template <>
struct Fn<double> {
  static GroupsFn Get(int k, int q0) { return q0 < 1 ? ActiveKernels().low[k] : ActiveKernels().pairs[k]; }
};
template <>
struct Fn<float> {
  static GroupsFnF Get(int k, int q0) { return q0 < 2 ? ActiveKernels().groups_f[k] : ActiveKernels().quads_f[k]; }
};

template <class T>
void ApplyDenseT(Pool& pool, State& s, const int* qubits, int k, const double* m) {
  int q[kMaxDense];
  double md[2 << (2 * kMaxDense)];
  SortBasis(qubits, k, m, q, md);
  T mm[2 << (2 * kMaxDense)];
  for (int j = 0; j < (2 << (2 * k)); ++j) mm[j] = T(md[j]);
  auto groups = Fn<T>::Get(k, q[0]);
  T* a = s.data<T>();
  uint64_t mask = 0;
  for (int j = 0; j < k; ++j) mask |= uint64_t{1} << q[j];

  // A gate streams the state once, walking its 2^k ranges in lockstep. In a
  // padded state (state.h) each call stays inside one combination of the
  // segment bits the gate does not touch: the kernel gets that
  // combination's segment as its origin, the base's bits below the
  // segment, and offsets mapped through Phys, so its carries never leave
  // the segment and its high offsets reach across the gaps.
  uint64_t off[1 << kMaxDense];
  Offsets(q, k, off);
  for (int c = 0; c < (1 << k); ++c) off[c] = s.Phys(off[c]);
  const int seg = s.segment_qubits();
  int klo = 0;
  while (klo < k && q[klo] < seg) ++klo;
  pool.Run(
      s.dim() >> k,
      [&](uint64_t b, uint64_t e, int) {
        SplitAligned(b, e, seg - klo, [&](uint64_t pb, uint64_t pe) {
          const uint64_t base = Insert(pb, q, k);
          const uint64_t origin = (base >> seg) << seg;  // 0 in a plain state
          groups(a + 2 * s.Phys(origin), mask, off, base - origin, pe - pb, mm);
        });
      },
      64);
}

}  // namespace

const DenseKernels& ActiveKernels() {
  static const DenseKernels& active = Choose();
  return active;
}

void ApplyDense(Pool& pool, State& s, const int* qubits, int k, const double* m) {
  if (s.single()) {
    ApplyDenseT<float>(pool, s, qubits, k, m);
  } else {
    ApplyDenseT<double>(pool, s, qubits, k, m);
  }
}

}  // namespace z3bra
