// SPDX-License-Identifier: Apache-2.0
#include "dense.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace z3bra {
namespace {

// Slabs of the tiled path: 2^kSlabBits contiguous amplitudes (16 KiB in
// double), one per combination of the gate's high qubits, copied into a
// per-thread buffer (at most 2^kMaxDense slabs, 512 KiB: inside L2).
constexpr int kSlabBits = 10;

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
  const char* env = std::getenv("Z3BRA_SIM_SIMD");
  if (env != nullptr && std::strcmp(env, "portable") == 0) return PortableKernels();
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (Avx2Kernels() != nullptr && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    return *Avx2Kernels();
  }
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

  // A gate streams the state once, walking its 2^k ranges in lockstep,
  // unless its highest qubit pairs amplitudes 256 MiB or more apart: there
  // lockstep measured 4.5-4.8 floor passes (1q, one thread) and copying
  // 16 KiB slabs of each range through a buffer 2.7-3.1 (1.7 on two
  // threads), while below that distance lockstep is ~1 and slabs 2.5-3.
  uint64_t off[1 << kMaxDense];
  Offsets(q, k, off);
  const int n = s.qubits();
  if (!FarApart(q[k - 1], sizeof(T)) || n - kSlabBits < k + 1) {
    pool.Run(
        s.dim() >> k, [&](uint64_t b, uint64_t e, int) { groups(a, mask, off, Insert(b, q, k), e - b, mm); }, 64);
    return;
  }
  // Tiled: the gate's qubits below kSlabBits stay where they are inside a
  // slab; each high qubit h_j becomes slab-buffer qubit kSlabBits + j.
  int lo = 0;
  while (lo < k && q[lo] < kSlabBits) ++lo;
  const int hi = k - lo;
  int hq[kMaxDense], bq[kMaxDense];
  uint64_t hmask = 0;
  for (int j = 0; j < hi; ++j) {
    hq[j] = q[lo + j];
    hmask |= uint64_t{1} << hq[j];
  }
  for (int j = 0; j < lo; ++j) bq[j] = q[j];
  for (int j = 0; j < hi; ++j) bq[lo + j] = kSlabBits + j;
  uint64_t slab_off[1 << kMaxDense], buf_off[1 << kMaxDense];
  Offsets(hq, hi, slab_off);
  Offsets(bq, k, buf_off);
  uint64_t bmask = 0;
  for (int j = 0; j < k; ++j) bmask |= uint64_t{1} << bq[j];
  const uint64_t slab = uint64_t{1} << kSlabBits;
  const int slabs = 1 << hi;
  const uint64_t buf_groups = (slab * slabs) >> k;
  auto bgroups = Fn<T>::Get(k, bq[0]);
  const uint64_t nstarts = s.dim() >> (kSlabBits + hi);
  const uint64_t smask = hmask | (slab - 1);
  pool.Run(nstarts, [&](uint64_t b, uint64_t e, int) {
    static thread_local std::vector<T> buf;
    if (buf.size() < 2 * slab * slabs + 64) buf.resize(2 * slab * slabs + 64);
    T* t = buf.data();
    uint64_t start = Insert(b << kSlabBits, hq, hi);
    for (uint64_t x = b; x < e; ++x) {
      for (int c = 0; c < slabs; ++c) std::memcpy(t + 2 * slab * c, a + 2 * (start + slab_off[c]), 2 * sizeof(T) * slab);
      bgroups(t, bmask, buf_off, 0, buf_groups, mm);
      for (int c = 0; c < slabs; ++c) std::memcpy(a + 2 * (start + slab_off[c]), t + 2 * slab * c, 2 * sizeof(T) * slab);
      start = ((start | smask) + 1) & ~smask;
    }
  });
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
