// SPDX-License-Identifier: Apache-2.0
#include "kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "dense.h"

namespace z3bra {
namespace {

// Slices handed to workers are multiples of this many indices, so two
// threads never write the same cache line.
constexpr uint64_t kGrain = 64;

// Enumerates the indices whose bits at `pos` (sorted ascending) are zero:
// compressed index i maps to Insert(i). Indices below the lowest position
// stay contiguous, so a kernel walks runs of 2^pos[0] adjacent amplitudes,
// cut at the state's segment boundaries so that every run lies in one.
struct Spread {
  int k = 0;
  int pos[64];
  uint64_t run = 1;

  Spread(std::vector<int> p, const State& s) {
    std::sort(p.begin(), p.end());
    k = static_cast<int>(p.size());
    for (int j = 0; j < k; ++j) pos[j] = p[j];
    run = uint64_t{1} << std::min(pos[0], s.segment_qubits());
  }

  uint64_t Insert(uint64_t i) const {
    for (int j = 0; j < k; ++j) {
      uint64_t low = i & ((uint64_t{1} << pos[j]) - 1);
      i = ((i >> pos[j]) << (pos[j] + 1)) | low;
    }
    return i;
  }

  uint64_t Count(uint64_t dim) const { return dim >> k; }

  // body(base, len): the amplitudes base .. base+len-1 are a run. Only the
  // first base is computed bit by bit; each next one is the index after the
  // run's last with the inserted bits skipped, a carry through the mask.
  template <class Body>
  void ForRuns(uint64_t b, uint64_t e, Body&& body) const {
    uint64_t mask = 0;
    for (int j = 0; j < k; ++j) mask |= uint64_t{1} << pos[j];
    uint64_t i = b, base = Insert(b);
    while (i < e) {
      uint64_t stop = std::min(e, (i | (run - 1)) + 1);
      body(base, stop - i);
      base = ((base + (stop - i - 1)) | mask) + 1;
      base &= ~mask;
      i = stop;
    }
  }
};

uint64_t Mask(const std::vector<int>& qubits) {
  uint64_t m = 0;
  for (int q : qubits) m |= uint64_t{1} << q;
  return m;
}

std::vector<int> With(std::vector<int> v, int a) {
  v.push_back(a);
  return v;
}

// The dense and special 2x2 cases; p0, p1 point at the runs with the target
// bit 0 and 1. Plain arithmetic rather than std::complex operator*, which
// without -ffast-math calls __muldc3 and blocks vectorisation.
// S is the distance in doubles between consecutive amplitudes of a run: 2
// for contiguous runs, 4 when the target is qubit 0 and the two halves of a
// pair sit side by side.
template <int S, class T>
void Dense(T* __restrict p0, T* __restrict p1, uint64_t len, const double* m) {
  const T ar = T(m[0]), ai = T(m[1]), br = T(m[2]), bi = T(m[3]), cr = T(m[4]), ci = T(m[5]), dr = T(m[6]),
          di = T(m[7]);
  for (uint64_t l = 0; l < len; ++l) {
    T xr = p0[S * l], xi = p0[S * l + 1], yr = p1[S * l], yi = p1[S * l + 1];
    p0[S * l] = ar * xr - ai * xi + br * yr - bi * yi;
    p0[S * l + 1] = ar * xi + ai * xr + br * yi + bi * yr;
    p1[S * l] = cr * xr - ci * xi + dr * yr - di * yi;
    p1[S * l + 1] = cr * xi + ci * xr + dr * yi + di * yr;
  }
}

template <int S, class T>
void Phase(T* __restrict p, uint64_t len, double rd, double id) {
  if constexpr (S == 2) {
    // Contiguous runs: the vectorised loop of the active build (dense.h).
    if constexpr (std::is_same_v<T, double>) {
      ActiveKernels().phase(p, len, rd, id);
    } else {
      ActiveKernels().phase_f(p, len, rd, id);
    }
    return;
  }
  const T r = T(rd), i = T(id);
  for (uint64_t l = 0; l < len; ++l) {
    T xr = p[S * l], xi = p[S * l + 1];
    p[S * l] = r * xr - i * xi;
    p[S * l + 1] = r * xi + i * xr;
  }
}

template <int S, class T>
void AntiDiagonal(T* __restrict p0, T* __restrict p1, uint64_t len, const double* m) {
  const T br = T(m[2]), bi = T(m[3]), cr = T(m[4]), ci = T(m[5]);
  for (uint64_t l = 0; l < len; ++l) {
    T xr = p0[S * l], xi = p0[S * l + 1], yr = p1[S * l], yi = p1[S * l + 1];
    p0[S * l] = br * yr - bi * yi;
    p0[S * l + 1] = br * yi + bi * yr;
    p1[S * l] = cr * xr - ci * xi;
    p1[S * l + 1] = cr * xi + ci * xr;
  }
}

template <int S, class T>
void SwapRuns(T* __restrict p0, T* __restrict p1, uint64_t len) {
  for (uint64_t l = 0; l < len; ++l) {
    std::swap(p0[S * l], p1[S * l]);
    std::swap(p0[S * l + 1], p1[S * l + 1]);
  }
}

bool IsOne(double re, double im) { return re == 1.0 && im == 0.0; }
bool IsZero(double re, double im) { return re == 0.0 && im == 0.0; }

// Calls f.template operator()<T> with T the state's element type.
#define Z3BRA_BY_PRECISION(s, call) \
  do {                               \
    if ((s).single()) {              \
      using T = float;               \
      call;                          \
    } else {                         \
      using T = double;              \
      call;                          \
    }                                \
  } while (0)

template <class T>
void InitZeroT(Pool& pool, State& s) {
  T* a = s.data<T>();
  if (s.fresh()) {
    // A fresh anonymous mapping reads as zeros and the kernel zeroes each
    // page on its first fault: one write per 4 KiB places the page on the
    // worker that will stream it, without a second pass of zeros.
    constexpr uint64_t kPage = 4096 / (2 * sizeof(T));
    pool.Run(
        s.dim(),
        [&](uint64_t b, uint64_t e, int) {
          SplitAligned(b, e, s.segment_qubits(), [&](uint64_t pb, uint64_t pe) {
            T* p = a + 2 * (s.Phys(pb) - pb);
            for (uint64_t i = pb; i < pe; i += kPage) p[2 * i] = 0;
          });
        },
        kPage);
  } else {
    pool.Run(
        s.dim(),
        [&](uint64_t b, uint64_t e, int) {
          SplitAligned(b, e, s.segment_qubits(), [&](uint64_t pb, uint64_t pe) {
            std::memset(a + 2 * s.Phys(pb), 0, (pe - pb) * 2 * sizeof(T));
          });
        },
        kGrain);
  }
  s.set_written();
  a[0] = 1;
}

template <class T>
void DiagonalLowT(Pool& pool, State& s, const int* q, int k, const double* diag);
template <class T>
void PermutationBlockT(Pool& pool, State& s, const int* q_in, int k_in, const int* from_in);

template <class T>
void ApplyUT(Pool& pool, State& s, int target, const std::vector<int>& controls, const double* m) {
  const bool diagonal = IsZero(m[2], m[3]) && IsZero(m[4], m[5]);
  const bool anti = IsZero(m[0], m[1]) && IsZero(m[6], m[7]);
  if (diagonal && IsOne(m[0], m[1]) && IsOne(m[6], m[7])) return;
  if (diagonal && !controls.empty() && controls.size() < 5 && s.dim() >= 4) {
    // A controlled phase touching qubit 0 or 1 would walk runs of one or
    // two amplitudes: as a diagonal block it walks whole granules.
    std::vector<int> q = With(controls, target);
    std::sort(q.begin(), q.end());
    if (q[0] < 2) {
      const int k = static_cast<int>(q.size());
      const uint64_t cb = Mask(controls);
      double diag[64];
      for (int x = 0; x < (1 << k); ++x) {
        uint64_t bits = 0;
        for (int j = 0; j < k; ++j) bits |= static_cast<uint64_t>((x >> j) & 1) << q[j];
        const bool on = (bits & cb) == cb;
        const int e = !on ? -1 : ((bits >> target) & 1) ? 6 : 0;
        diag[2 * x] = e < 0 ? 1.0 : m[e];
        diag[2 * x + 1] = e < 0 ? 0.0 : m[e + 1];
      }
      DiagonalLowT<T>(pool, s, q.data(), k, diag);
      return;
    }
  }

  if (anti && IsOne(m[2], m[3]) && IsOne(m[4], m[5]) && !controls.empty() && controls.size() < 5 && s.dim() >= 4) {
    // A controlled X touching qubit 0 or 1: as a permutation block, which
    // walks whole granules rather than runs of one or two amplitudes.
    std::vector<int> q = With(controls, target);
    std::sort(q.begin(), q.end());
    if (q[0] < 2) {
      const int k = static_cast<int>(q.size());
      int t = 0, from[32];
      uint64_t cbits = 0;
      for (int j = 0; j < k; ++j) {
        if (q[j] == target) t = j;
        else cbits |= uint64_t{1} << j;
      }
      for (int x = 0; x < (1 << k); ++x) from[x] = (static_cast<uint64_t>(x) & cbits) == cbits ? x ^ (1 << t) : x;
      PermutationBlockT<T>(pool, s, q.data(), k, from);
      return;
    }
  }

  Spread sp(With(controls, target), s);
  const uint64_t cm = Mask(controls), tb = uint64_t{1} << target;
  const uint64_t ptb = s.Phys(tb);
  T* a = s.data<T>();
  // Runs of one amplitude (target 0, no controls) would cost an index
  // computation and a call per pair: walk the interleaved pairs instead.
  const bool pairs = target == 0 && controls.empty();
  auto run = [&](auto&& body) {
    if (pairs) {
      pool.Run(
          s.dim() / 2,
          [&](uint64_t b, uint64_t e, int) {
            SplitAligned(b, e, s.segment_qubits() - 1, [&](uint64_t pb, uint64_t pe) {
              T* p = a + 2 * s.Phys(2 * pb);
              body(std::integral_constant<int, 4>(), p, p + 2, pe - pb);
            });
          },
          kGrain);
      return;
    }
    pool.Run(
        sp.Count(s.dim()),
        [&](uint64_t b, uint64_t e, int) {
          sp.ForRuns(b, e, [&](uint64_t base, uint64_t len) {
            T* p0 = a + 2 * s.Phys(base | cm);
            body(std::integral_constant<int, 2>(), p0, p0 + 2 * ptb, len);
          });
        },
        kGrain);
  };

  if (diagonal && IsOne(m[0], m[1])) {
    // Phase-type gates (Z, S, T, P, controlled phases): only the 1 half moves.
    const double r = m[6], i = m[7];
    run([&](auto st, T*, T* p1, uint64_t len) { Phase<st()>(p1, len, r, i); });
  } else if (diagonal) {
    run([&](auto st, T* p0, T* p1, uint64_t len) {
      Phase<st()>(p0, len, m[0], m[1]);
      Phase<st()>(p1, len, m[6], m[7]);
    });
  } else if (anti && IsOne(m[2], m[3]) && IsOne(m[4], m[5])) {
    run([&](auto st, T* p0, T* p1, uint64_t len) { SwapRuns<st()>(p0, p1, len); });
  } else if (anti) {
    run([&](auto st, T* p0, T* p1, uint64_t len) { AntiDiagonal<st()>(p0, p1, len, m); });
  } else {
    run([&](auto st, T* p0, T* p1, uint64_t len) { Dense<st()>(p0, p1, len, m); });
  }
}

template <class T>
void ApplySwapT(Pool& pool, State& s, int qa, int qb, const std::vector<int>& controls) {
  Spread sp(With(With(controls, qa), qb), s);
  const uint64_t cm = Mask(controls), ba = uint64_t{1} << qa, bb = uint64_t{1} << qb;
  T* a = s.data<T>();
  pool.Run(
      sp.Count(s.dim()),
      [&](uint64_t b, uint64_t e, int) {
        sp.ForRuns(b, e, [&](uint64_t base, uint64_t len) {
          uint64_t i = base | cm;
          SwapRuns<2>(a + 2 * s.Phys(i | ba), a + 2 * s.Phys(i | bb), len);
        });
      },
      kGrain);
}

// The four amplitudes of each group sit at p[k] + S * l.
template <int S, class T>
void Dense4(T* const* p, uint64_t len, const double* mm) {
  for (uint64_t l = 0; l < len; ++l) {
    T xr[4], xi[4];
    for (int k = 0; k < 4; ++k) {
      xr[k] = p[k][S * l];
      xi[k] = p[k][S * l + 1];
    }
    for (int r = 0; r < 4; ++r) {
      T yr = 0, yi = 0;
      for (int c = 0; c < 4; ++c) {
        T mr = T(mm[8 * r + 2 * c]), mi = T(mm[8 * r + 2 * c + 1]);
        yr += mr * xr[c] - mi * xi[c];
        yi += mr * xi[c] + mi * xr[c];
      }
      p[r][S * l] = yr;
      p[r][S * l + 1] = yi;
    }
  }
}

template <class T>
void ApplyU2T(Pool& pool, State& s, int q0, int q1, const double* m) {
  Spread sp({q0, q1}, s);
  const uint64_t b0 = uint64_t{1} << q0, b1 = uint64_t{1} << q1;
  const uint64_t off[4] = {0, b0, b1, b0 | b1};
  T* a = s.data<T>();
  double mm[32];
  std::memcpy(mm, m, sizeof mm);
  if ((b0 | b1) == 3) {
    // Qubits 0 and 1: each group is four adjacent amplitudes.
    pool.Run(
        s.dim() / 4,
        [&](uint64_t b, uint64_t e, int) {
          SplitAligned(b, e, s.segment_qubits() - 2, [&](uint64_t pb, uint64_t pe) {
            T* p[4];
            for (int k = 0; k < 4; ++k) p[k] = a + 2 * (s.Phys(4 * pb) + off[k]);
            Dense4<8>(p, pe - pb, mm);
          });
        },
        kGrain);
    return;
  }
  pool.Run(
      sp.Count(s.dim()),
      [&](uint64_t b, uint64_t e, int) {
        sp.ForRuns(b, e, [&](uint64_t base, uint64_t len) {
          T* p[4];
          for (int k = 0; k < 4; ++k) p[k] = a + 2 * s.Phys(base + off[k]);
          Dense4<2>(p, len, mm);
        });
      },
      kGrain);
}

// Calls span(base, len) on every run of the state where the qubits cpos
// (bits cm) are all 1, split over the pool; the whole state when none.
// No run crosses a segment boundary.
template <class Span>
void ForControlledSpans(Pool& pool, const State& s, const std::vector<int>& cpos, uint64_t cm, Span&& span) {
  if (cpos.empty()) {
    pool.Run(
        s.dim(),
        [&](uint64_t b, uint64_t e, int) {
          SplitAligned(b, e, s.segment_qubits(), [&](uint64_t pb, uint64_t pe) { span(pb, pe - pb); });
        },
        kGrain);
    return;
  }
  Spread sp(cpos, s);
  pool.Run(
      sp.Count(s.dim()),
      [&](uint64_t b, uint64_t e, int) { sp.ForRuns(b, e, [&](uint64_t base, uint64_t len) { span(base | cm, len); }); },
      kGrain);
}

// A diagonal block with a qubit below 2: phases change inside every
// 4-amplitude granule, so runs of one phase would be one or two amplitudes
// long. Each granule is multiplied by four phases from a table instead,
// indexed by the block's other qubits; qubits 0 and 1 are never treated as
// controls here (the granule is walked whole).
template <class T>
void DiagonalLowT(Pool& pool, State& s, const int* q, int k, const double* diag) {
  int inner = 0;
  while (inner < k && q[inner] < 2) ++inner;
  const int d = 1 << k;
  uint64_t cm = 0;
  std::vector<int> cpos;
  int low = 63;  // the lowest outer qubit that is not a control
  for (int j = inner; j < k; ++j) {
    bool ones = true;
    for (int x = 0; x < d; ++x) {
      if (!((x >> j) & 1) && !IsOne(diag[2 * x], diag[2 * x + 1])) ones = false;
    }
    if (ones) {
      cpos.push_back(q[j]);
      cm |= uint64_t{1} << q[j];
    } else {
      low = std::min(low, q[j]);
    }
  }
  const int outer = 1 << (k - inner);
  std::vector<T> tab(static_cast<size_t>(outer) * 8);
  std::vector<char> identity(static_cast<size_t>(outer));
  for (int o = 0; o < outer; ++o) {
    bool all = true;
    for (int l = 0; l < 4; ++l) {
      int x = o << inner;
      for (int j = 0; j < inner; ++j) {
        if ((l >> q[j]) & 1) x |= 1 << j;
      }
      tab[8 * o + 2 * l] = T(diag[2 * x]);
      tab[8 * o + 2 * l + 1] = T(diag[2 * x + 1]);
      all = all && IsOne(diag[2 * x], diag[2 * x + 1]);
    }
    identity[o] = all;
  }
  T* a = s.data<T>();
  auto span = [&](uint64_t base, uint64_t len) {
    const uint64_t chunk = std::min<uint64_t>(len, uint64_t{1} << std::min(low, 62));
    for (uint64_t p = base; p < base + len; p += chunk) {
      int o = 0;
      for (int j = inner; j < k; ++j) o |= static_cast<int>((p >> q[j]) & 1) << (j - inner);
      if (identity[o]) continue;
      const T* ph = &tab[8 * o];
      if constexpr (std::is_same_v<T, double>) {
        ActiveKernels().phase4(a + 2 * s.Phys(p), chunk, ph);
      } else {
        ActiveKernels().phase4_f(a + 2 * s.Phys(p), chunk, ph);
      }
    }
  };
  // Controls (if any) are at 2 or above: runs of 2^(lowest control) >= 4
  // amplitudes, aligned to granules.
  ForControlledSpans(pool, s, cpos, cm, span);
}

template <class T>
void DiagonalBlockT(Pool& pool, State& s, const int* q, int k, const double* diag) {
  if (q[0] < 2 && s.dim() >= 4) {
    DiagonalLowT<T>(pool, s, q, k, diag);
    return;
  }
  const int d = 1 << k;
  // Qubits (as bits of the local index) whose 0 half is all ones.
  uint64_t ctrl = 0;
  for (int j = 0; j < k; ++j) {
    bool ones = true;
    for (int x = 0; x < d; ++x) {
      if (!((x >> j) & 1) && !IsOne(diag[2 * x], diag[2 * x + 1])) ones = false;
    }
    if (ones) ctrl |= uint64_t{1} << j;
  }
  std::vector<int> cpos;
  uint64_t cm = 0;
  int low = 63;  // the lowest qubit that is not a control: runs of 2^low share a phase
  for (int j = 0; j < k; ++j) {
    if ((ctrl >> j) & 1) {
      cpos.push_back(q[j]);
      cm |= uint64_t{1} << q[j];
    } else {
      low = std::min(low, q[j]);
    }
  }
  T* a = s.data<T>();
  auto span = [&](uint64_t base, uint64_t len) {
    // base has zero bits below the lowest control, so chunks of 2^low are aligned.
    const uint64_t chunk = std::min<uint64_t>(len, uint64_t{1} << std::min(low, 62));
    for (uint64_t p = base; p < base + len; p += chunk) {
      uint64_t idx = 0;
      for (int j = 0; j < k; ++j) idx |= ((p >> q[j]) & 1) << j;
      const double re = diag[2 * idx], im = diag[2 * idx + 1];
      if (re == 1.0 && im == 0.0) continue;
      Phase<2>(a + 2 * s.Phys(p), chunk, re, im);
    }
  };
  ForControlledSpans(pool, s, cpos, cm, span);
}

template <class T>
void PermutationBlockT(Pool& pool, State& s, const int* q_in, int k_in, const int* from_in) {
  // A block on qubit 0 or 1 would walk groups of 2-4 amplitudes one call
  // each: qubits 0 and 1 join the block (moving nothing themselves), so
  // every group is at least a 4-amplitude granule.
  int q[7], from[128];
  int k = k_in;
  for (int j = 0; j < k_in; ++j) q[j] = q_in[j];
  if (q_in[0] < 2 && s.dim() >= 4) {
    int add[2], na = 0;
    for (int b = 0; b < 2; ++b) {
      if (q_in[0] != b && !(k_in > 1 && q_in[1] == b)) add[na++] = b;
    }
    // New order: the added low qubits first, then the block's own; bit j of
    // a local index is qubit q[j].
    int nq[7];
    for (int j = 0; j < na; ++j) nq[j] = add[j];
    for (int j = 0; j < k_in; ++j) nq[na + j] = q_in[j];
    k = k_in + na;
    // At most 7 entries: an insertion sort (std::sort's inlined tail trips
    // GCC 12's array-bounds check on so short an array).
    for (int j = 1; j < k; ++j) {
      for (int i = j; i > 0 && nq[i - 1] > nq[i]; --i) std::swap(nq[i - 1], nq[i]);
    }
    for (int j = 0; j < k; ++j) q[j] = nq[j];
    // where each original block qubit and each added one sit in q
    int at[7], add_at[2];
    for (int j = 0; j < k_in; ++j) at[j] = static_cast<int>(std::find(q, q + k, q_in[j]) - q);
    for (int j = 0; j < na; ++j) add_at[j] = static_cast<int>(std::find(q, q + k, add[j]) - q);
    for (int x = 0; x < (1 << k); ++x) {
      int r = 0;
      for (int j = 0; j < k_in; ++j) r |= ((x >> at[j]) & 1) << j;
      const int fr = from_in[r];
      int y = 0;
      for (int j = 0; j < k_in; ++j) y |= ((fr >> j) & 1) << at[j];
      for (int j = 0; j < na; ++j) y |= ((x >> add_at[j]) & 1) << add_at[j];
      from[x] = y;
    }
  } else {
    for (int x = 0; x < (1 << k_in); ++x) from[x] = from_in[x];
  }
  const int d = 1 << k;
  uint64_t off[128];
  for (int c = 0; c < d; ++c) {
    uint64_t o = 0;
    for (int j = 0; j < k; ++j) {
      if ((c >> j) & 1) o |= uint64_t{1} << q[j];
    }
    off[c] = s.Phys(o);
  }
  int moved[128], nm = 0;
  for (int r = 0; r < d; ++r) {
    if (from[r] != r) moved[nm++] = r;
  }
  if (nm == 0) return;
  Spread sp(std::vector<int>(q, q + k), s);
  T* a = s.data<T>();
  pool.Run(
      sp.Count(s.dim()),
      [&](uint64_t b, uint64_t e, int) {
        sp.ForRuns(b, e, [&](uint64_t base, uint64_t len) {
          T* run = a + 2 * s.Phys(base);
          for (uint64_t l = 0; l < len; ++l) {
            T* g = run + 2 * l;
            T tmp[256];
            for (int x = 0; x < nm; ++x) {
              const T* src = g + 2 * off[from[moved[x]]];
              tmp[2 * x] = src[0];
              tmp[2 * x + 1] = src[1];
            }
            for (int x = 0; x < nm; ++x) {
              T* dst = g + 2 * off[moved[x]];
              dst[0] = tmp[2 * x];
              dst[1] = tmp[2 * x + 1];
            }
          }
        });
      },
      kGrain);
}

template <class T>
void QubitProbabilitiesT(Pool& pool, const State& s, int q, double* p0, double* p1) {
  const uint64_t chunks = (s.dim() + kChunk - 1) / kChunk;
  std::vector<double> sum0(chunks), sum1(chunks);
  const T* a = s.data<T>();
  const uint64_t dim = s.dim();
  pool.Run(chunks, [&](uint64_t cb, uint64_t ce, int) {
    for (uint64_t c = cb; c < ce; ++c) {
      double s0 = 0, s1 = 0;
      uint64_t end = std::min(dim, (c + 1) * kChunk);
      const T* ac = a + 2 * (s.Phys(c * kChunk) - c * kChunk);  // a chunk lies in one segment
      for (uint64_t i = c * kChunk; i < end; ++i) {
        double re = ac[2 * i], im = ac[2 * i + 1];
        double p = re * re + im * im;
        if ((i >> q) & 1) {
          s1 += p;
        } else {
          s0 += p;
        }
      }
      sum0[c] = s0;
      sum1[c] = s1;
    }
  });
  double t0 = 0, t1 = 0;
  for (uint64_t c = 0; c < chunks; ++c) {
    t0 += sum0[c];
    t1 += sum1[c];
  }
  *p0 = t0;
  *p1 = t1;
}

template <class T>
void CollapseT(Pool& pool, State& s, int q, int outcome, double prob, bool reset) {
  const T scale = T(1.0 / std::sqrt(prob));
  const uint64_t tb = uint64_t{1} << q;
  T* a = s.data<T>();
  Spread sp({q}, s);
  pool.Run(
      sp.Count(s.dim()),
      [&](uint64_t b, uint64_t e, int) {
        sp.ForRuns(b, e, [&](uint64_t base, uint64_t len) {
          T* p0 = a + 2 * s.Phys(base);
          T* p1 = p0 + 2 * s.Phys(tb);
          T* keep = outcome ? p1 : p0;
          T* drop = outcome ? p0 : p1;
          for (uint64_t l = 0; l < 2 * len; ++l) {
            keep[l] *= scale;
            drop[l] = 0;
          }
          if (reset && outcome) SwapRuns<2>(p0, p1, len);
        });
      },
      kGrain);
}

template <class T>
std::vector<double> ChunkNormsT(Pool& pool, const State& s) {
  const uint64_t chunks = (s.dim() + kChunk - 1) / kChunk;
  std::vector<double> out(chunks);
  const T* a = s.data<T>();
  const uint64_t dim = s.dim();
  pool.Run(chunks, [&](uint64_t cb, uint64_t ce, int) {
    for (uint64_t c = cb; c < ce; ++c) {
      double t = 0;
      uint64_t end = std::min(dim, (c + 1) * kChunk);
      const T* ac = a + 2 * (s.Phys(c * kChunk) - c * kChunk);
      for (uint64_t i = c * kChunk; i < end; ++i) {
        double re = ac[2 * i], im = ac[2 * i + 1];
        t += re * re + im * im;
      }
      out[c] = t;
    }
  });
  return out;
}

}  // namespace

void InitZero(Pool& pool, State& s) { Z3BRA_BY_PRECISION(s, InitZeroT<T>(pool, s)); }

void CopyState(Pool& pool, const State& from, State& to) {
  const char* src = from.data<char>();
  char* dst = to.data<char>();
  // The same n and precision, so the same layout; gaps are not copied.
  const uint64_t unit = from.bytes() >> from.qubits();
  pool.Run(
      from.dim(),
      [&](uint64_t b, uint64_t e, int) {
        SplitAligned(b, e, from.segment_qubits(), [&](uint64_t pb, uint64_t pe) {
          const uint64_t at = unit * from.Phys(pb);
          std::memcpy(dst + at, src + at, (pe - pb) * unit);
        });
      },
      kGrain);
}

void ApplyU(Pool& pool, State& s, int target, const std::vector<int>& controls, const double* m) {
  Z3BRA_BY_PRECISION(s, ApplyUT<T>(pool, s, target, controls, m));
}

void ApplySwap(Pool& pool, State& s, int qa, int qb, const std::vector<int>& controls) {
  Z3BRA_BY_PRECISION(s, ApplySwapT<T>(pool, s, qa, qb, controls));
}

void ApplyU2(Pool& pool, State& s, int q0, int q1, const double* m) {
  Z3BRA_BY_PRECISION(s, ApplyU2T<T>(pool, s, q0, q1, m));
}

void ApplyDiagonalBlock(Pool& pool, State& s, const int* q, int k, const double* diag) {
  Z3BRA_BY_PRECISION(s, DiagonalBlockT<T>(pool, s, q, k, diag));
}

void ApplyPermutationBlock(Pool& pool, State& s, const int* q, int k, const int* from) {
  Z3BRA_BY_PRECISION(s, PermutationBlockT<T>(pool, s, q, k, from));
}

void QubitProbabilities(Pool& pool, const State& s, int q, double* p0, double* p1) {
  Z3BRA_BY_PRECISION(s, QubitProbabilitiesT<T>(pool, s, q, p0, p1));
}

void Collapse(Pool& pool, State& s, int q, int outcome, double prob, bool reset) {
  Z3BRA_BY_PRECISION(s, CollapseT<T>(pool, s, q, outcome, prob, reset));
}

std::vector<double> ChunkNorms(Pool& pool, const State& s) {
  std::vector<double> out;
  Z3BRA_BY_PRECISION(s, out = ChunkNormsT<T>(pool, s));
  return out;
}

void Scale(Pool& pool, State& s, double re, double im) {
  Z3BRA_BY_PRECISION(s, {
    T* a = s.data<T>();
    pool.Run(
        s.dim(),
        [&](uint64_t b, uint64_t e, int) {
          SplitAligned(b, e, s.segment_qubits(),
                       [&](uint64_t pb, uint64_t pe) { Phase<2>(a + 2 * s.Phys(pb), pe - pb, re, im); });
        },
        kGrain);
  });
}

}  // namespace z3bra
