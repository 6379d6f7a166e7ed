// SPDX-License-Identifier: Apache-2.0
// The group loop of dense.h, included once per instruction set inside its
// own namespace (dense-portable.cc, dense-avx2.cc, dense-avx512.cc). No
// include guard on purpose. Every output is the same sum in the same order
// in the portable and the AVX2 build; they differ only where FMA rounds
// once instead of twice. The AVX-512VL build takes blocks of 3 qubits and
// more through the three-product form (GaussPairs), which rounds otherwise.

// Next index after `base` whose bits at `mask` are zero.
static inline uint64_t NextBase(uint64_t base, uint64_t mask) { return ((base | mask) + 1) & ~mask; }

#if defined(Z3BRA_DENSE_AVX2)
template <int K>
void Groups(double* a, uint64_t mask, const uint64_t* off, uint64_t base, uint64_t count, const double* m) {
  constexpr int D = 1 << K, P = D / 2 > 0 ? D / 2 : 1;
  // Column c of m as pairs of rows: (re, im) of rows 2p and 2p+1, and the
  // same rotated by i, so that y += col * xr + rot * xi is a complex MAC.
  alignas(32) double col[D][P][4], rot[D][P][4];
  for (int c = 0; c < D; ++c) {
    for (int p = 0; p < P; ++p) {
      for (int h = 0; h < 2; ++h) {
        int r = 2 * p + h;
        double re = m[2 * (D * r + c)], im = m[2 * (D * r + c) + 1];
        col[c][p][2 * h] = re;
        col[c][p][2 * h + 1] = im;
        rot[c][p][2 * h] = -im;
        rot[c][p][2 * h + 1] = re;
      }
    }
  }
  for (uint64_t i = 0; i < count; ++i) {
    __m256d acc[P];
    for (int p = 0; p < P; ++p) acc[p] = _mm256_setzero_pd();
    for (int c = 0; c < D; ++c) {
      const double* x = a + 2 * (base + off[c]);
      __m256d xr = _mm256_broadcast_sd(x), xi = _mm256_broadcast_sd(x + 1);
      for (int p = 0; p < P; ++p) {
        acc[p] = _mm256_fmadd_pd(_mm256_load_pd(col[c][p]), xr, acc[p]);
        acc[p] = _mm256_fmadd_pd(_mm256_load_pd(rot[c][p]), xi, acc[p]);
      }
    }
    for (int p = 0; p < P; ++p) {
      _mm_storeu_pd(a + 2 * (base + off[2 * p]), _mm256_castpd256_pd128(acc[p]));
      _mm_storeu_pd(a + 2 * (base + off[2 * p + 1]), _mm256_extractf128_pd(acc[p], 1));
    }
    base = NextBase(base, mask);
  }
}

// The matrix as the vector kernels read it: mre[r][c] = re(m_rc) in every
// lane, mim[r][c] = (-im, im, -im, im, ...), so that y += mre * x +
// mim * swap(x) is a complex multiply-add on every complex lane.
template <int D, int L, class T>
static inline void SpreadMatrix(const T* m, T (*mre)[D][L], T (*mim)[D][L]) {
  for (int r = 0; r < D; ++r) {
    for (int c = 0; c < D; ++c) {
      const T re = m[2 * (D * r + c)], im = m[2 * (D * r + c) + 1];
      for (int l = 0; l < L; ++l) {
        mre[r][c][l] = re;
        mim[r][c][l] = (l & 1) ? im : -im;
      }
    }
  }
}

// Two adjacent groups at once (base and base + 1; needs the lowest gate
// qubit >= 1, base even and count even): one __m256d holds the same row of
// both groups, so every load and store is a full 32-byte vector and a run
// of amplitudes is walked as contiguous vectors, not scalar broadcasts.
constexpr uint64_t kPrefetchGroups = 128;
// Linear prefetch: for which gates, and how far ahead of the steps. Every
// gate whose highest qubit's halves are at most 16 KiB apart takes it: all
// its qubits lie inside one block of at most 32 KiB, walked in order. Left
// to the hardware prefetchers, or to prefetch along the groups' sequence,
// 1q gates on qubits 0, 1 and 3 measured 1.2-1.4 floor passes at N=24 on
// one thread where linear prefetch measured 0.9-1.0.
// The distance: 16 KiB, except where a step's groups and their rows fill
// one contiguous range (the gate's qubits and the step's lane qubits `low`
// are all the qubits up to its highest: 1q on qubits 0 and 1, 2q on 0-1
// and 1-2), so the steps walk the state strictly in order; there 2 KiB
// (2q on 0-1: 1.40 floor passes at 16 KiB ahead, 1.05 at 2 KiB; on 1-2:
// 1.22 and 0.89). Other gates measured 0.9-1.2 at 2 KiB against 0.85-0.98
// at 16 KiB (1q 8-10, 2q 7-8 to 9-10).
static inline bool LinearPrefetch(uint64_t mask, uint64_t real_bytes) {
  const uint64_t apart = 2 * real_bytes * (uint64_t{1} << (63 - __builtin_clzll(mask)));
  return apart <= 16384;
}
// Where prefetch along the groups' own sequence starts: the group
// kPrefetchGroups ahead of `base`, a step being the low + 1 adjacent groups
// of base | low.
static inline uint64_t GroupsAhead(uint64_t base, uint64_t count, uint64_t mask, uint64_t low) {
  for (uint64_t j = 0; j < kPrefetchGroups && j < count; j += low + 1) base = NextBase(base | low, mask);
  return base;
}
static inline uint64_t LinearAhead(uint64_t mask, uint64_t low) {
  const uint64_t covered = mask | low;
  return (covered & (covered + 1)) == 0 ? 2048 : 16384;
}
// The n lowest qubits outside the gate, as bits: a step's lane qubits when
// it takes 2^n successive groups.
static inline uint64_t LaneBits(uint64_t mask, int n) {
  uint64_t lanes = 0;
  for (int k = 0; k < n; ++k) {
    const uint64_t bit = ((mask | lanes) + 1) & ~(mask | lanes);
    lanes |= bit;
  }
  return lanes;
}
template <int K>
void Pairs(double* a, uint64_t mask, const uint64_t* off, uint64_t base, uint64_t count, const double* m) {
  constexpr int D = 1 << K;
  alignas(32) double mre[D][D][4], mim[D][D][4];
  SpreadMatrix<D, 4>(m, mre, mim);
  // Software prefetch along the groups' own sequence, kPrefetchGroups ahead:
  // runs of 2^q0 amplitudes with gaps between defeat the hardware stride
  // prefetchers when a run is a few hundred bytes to a few KiB.
  uint64_t pb = GroupsAhead(base, count, mask, 1);
  // When the gate's halves are at most 16 KiB apart, the groups' order
  // walks each 2^(top+1) block in two interleaved runs that the hardware
  // prefetchers follow badly (measured 1.7-2.9 floor passes on targets 5-10
  // against ~0.95 elsewhere); prefetching the state linearly, a fixed
  // distance ahead and at the rate the steps consume it, measured 0.92-1.0.
  const bool linear = LinearPrefetch(mask, sizeof(double));
  const char* lp = reinterpret_cast<const char*>(a + 2 * base) + LinearAhead(mask, 1);
  // Columns outer, rows inner: up to 8 rows accumulate at once in
  // registers, each row's chain growing by two FMAs per column, so the FMA
  // latency overlaps across rows; wider blocks take their rows 8 at a time
  // into `out` before anything is stored over their inputs. Each row is
  // the same sum in the same order as a row-by-row loop.
  constexpr int R = D < 8 ? D : 8;
  for (uint64_t i = 0; i < count; i += 2) {
    if (linear) {
      // Two groups of 2^K complex doubles: 2^(K-1) lines.
      for (int l = 0; l < D / 2; ++l) _mm_prefetch(lp + 64 * l, _MM_HINT_T0);
      lp += 32 * D;
    } else if ((i & 3) == 0) {
      for (int c = 0; c < D; ++c) _mm_prefetch(reinterpret_cast<const char*>(a + 2 * (pb + off[c])), _MM_HINT_T0);
    }
    pb = NextBase(pb | 1, mask);
    __m256d out[D];
    for (int r0 = 0; r0 < D; r0 += R) {
      __m256d acc[R];
      for (int r = 0; r < R; ++r) acc[r] = _mm256_setzero_pd();
      for (int c = 0; c < D; ++c) {
        const __m256d x = _mm256_loadu_pd(a + 2 * (base + off[c]));
        const __m256d xs = _mm256_permute_pd(x, 5);
        for (int r = 0; r < R; ++r) {
          acc[r] = _mm256_fmadd_pd(_mm256_load_pd(mre[r0 + r][c]), x, acc[r]);
          acc[r] = _mm256_fmadd_pd(_mm256_load_pd(mim[r0 + r][c]), xs, acc[r]);
        }
      }
      for (int r = 0; r < R; ++r) out[r0 + r] = acc[r];
    }
    for (int r = 0; r < D; ++r) _mm256_storeu_pd(a + 2 * (base + off[r]), out[r]);
    base = NextBase(base | 1, mask);
  }
}

// Lowest gate qubit 0: amplitudes c and c|1 of a group sit side by side,
// so one vector holds two rows of one group. Two groups at once are
// transposed into Pairs' layout (one row of both groups per vector),
// multiplied as there, and transposed back: full vectors and no broadcasts,
// where Groups spends a broadcast per amplitude. Leftover groups (an odd
// count) go through Groups.
template <int K>
void PairsLow(double* a, uint64_t mask, const uint64_t* off, uint64_t base, uint64_t count, const double* m) {
  constexpr int D = 1 << K, H = D / 2;
  alignas(32) double mre[D][D][4], mim[D][D][4];
  SpreadMatrix<D, 4>(m, mre, mim);
  const bool linear = LinearPrefetch(mask, sizeof(double));
  const char* lp = reinterpret_cast<const char*>(a + 2 * base) + LinearAhead(mask, LaneBits(mask, 1));
  // Halves further apart: along the groups' sequence, as in Pairs, one
  // line per pair of rows and step (2q gate on qubits 0 and 23 at N=24, one
  // thread: 2.85 floor passes without, 0.92 with).
  uint64_t pb = linear ? base : GroupsAhead(base, count, mask, 0);
  uint64_t i = 0;
  for (; i + 2 <= count; i += 2) {
    if (linear) {
      for (int l = 0; l < H; ++l) _mm_prefetch(lp + 64 * l, _MM_HINT_T0);
      lp += 32 * D;
    } else {
      for (int h = 0; h < H; ++h) _mm_prefetch(reinterpret_cast<const char*>(a + 2 * (pb + off[2 * h])), _MM_HINT_T0);
      pb = NextBase(NextBase(pb, mask), mask);
    }
    const uint64_t b0 = base, b1 = NextBase(base, mask);
    __m256d x[D];
    for (int h = 0; h < H; ++h) {
      const __m256d u = _mm256_loadu_pd(a + 2 * (b0 + off[2 * h]));
      const __m256d v = _mm256_loadu_pd(a + 2 * (b1 + off[2 * h]));
      x[2 * h] = _mm256_permute2f128_pd(u, v, 0x20);
      x[2 * h + 1] = _mm256_permute2f128_pd(u, v, 0x31);
    }
    __m256d out[D];
    for (int r = 0; r < D; ++r) {
      __m256d acc = _mm256_setzero_pd();
      for (int c = 0; c < D; ++c) {
        acc = _mm256_fmadd_pd(_mm256_load_pd(mre[r][c]), x[c], acc);
        acc = _mm256_fmadd_pd(_mm256_load_pd(mim[r][c]), _mm256_permute_pd(x[c], 5), acc);
      }
      out[r] = acc;
    }
    for (int h = 0; h < H; ++h) {
      _mm256_storeu_pd(a + 2 * (b0 + off[2 * h]), _mm256_permute2f128_pd(out[2 * h], out[2 * h + 1], 0x20));
      _mm256_storeu_pd(a + 2 * (b1 + off[2 * h]), _mm256_permute2f128_pd(out[2 * h], out[2 * h + 1], 0x31));
    }
    base = NextBase(b1, mask);
  }
  if (i < count) Groups<K>(a, mask, off, base, count - i, m);
}

// Complex float, four adjacent groups at once (base, base + 1, + 2, + 3;
// needs the lowest gate qubit >= 2, base and count multiples of 4): one
// __m256 holds the same row of all four.
template <int K>
void QuadsF(float* a, uint64_t mask, const uint64_t* off, uint64_t base, uint64_t count, const float* m) {
  constexpr int D = 1 << K;
  alignas(32) float mre[D][D][8], mim[D][D][8];
  SpreadMatrix<D, 8>(m, mre, mim);
  uint64_t pb = GroupsAhead(base, count, mask, 3);
  const bool linear = LinearPrefetch(mask, sizeof(float));
  const char* lp = reinterpret_cast<const char*>(a + 2 * base) + LinearAhead(mask, 3);
  // Columns outer, rows inner, as in Pairs.
  constexpr int R = D < 8 ? D : 8;
  for (uint64_t i = 0; i < count; i += 4) {
    if (linear) {
      // Four groups of 2^K complex floats: 2^(K-1) lines.
      for (int l = 0; l < D / 2; ++l) _mm_prefetch(lp + 64 * l, _MM_HINT_T0);
      lp += 32 * D;
    } else if ((i & 7) == 0) {
      for (int c = 0; c < D; ++c) _mm_prefetch(reinterpret_cast<const char*>(a + 2 * (pb + off[c])), _MM_HINT_T0);
    }
    pb = NextBase(pb | 3, mask);
    __m256 out[D];
    for (int r0 = 0; r0 < D; r0 += R) {
      __m256 acc[R];
      for (int r = 0; r < R; ++r) acc[r] = _mm256_setzero_ps();
      for (int c = 0; c < D; ++c) {
        const __m256 x = _mm256_loadu_ps(a + 2 * (base + off[c]));
        const __m256 xs = _mm256_permute_ps(x, 0xB1);
        for (int r = 0; r < R; ++r) {
          acc[r] = _mm256_fmadd_ps(_mm256_load_ps(mre[r0 + r][c]), x, acc[r]);
          acc[r] = _mm256_fmadd_ps(_mm256_load_ps(mim[r0 + r][c]), xs, acc[r]);
        }
      }
      for (int r = 0; r < R; ++r) out[r0 + r] = acc[r];
    }
    for (int r = 0; r < D; ++r) _mm256_storeu_ps(a + 2 * (base + off[r]), out[r]);
    base = NextBase(base | 3, mask);
  }
}

// Three real products per complex one (Gauss): for a matrix entry a + ib
// and an amplitude x + iy, re = a(x + y) - (a + b)y and im = a(x + y) +
// (b - a)x. Over a row that is three real matrix-vector products where the
// plain form needs four, one FMA in four saved. It needs the real and the
// imaginary parts in separate vectors: twice the groups of Pairs and QuadsF
// per step (two of their steps), split on load and interleaved again on
// store. The sums differ from the plain form's by rounding only. The
// random perf circuit (3-qubit blocks) measured 6% faster in single and 2%
// in double at N=24 on one thread than with Pairs and QuadsF. (Two such
// steps at once, so that each matrix load feeds two FMAs, ran slower: the
// compiler spilled.)
// Rows accumulated at once, three vectors each: 8 rows need 24 of the 32
// registers of AVX-512VL. Only that build takes these kernels: with the
// 16 registers of AVX2, 4 rows at once ran 1.2-1.4x slower than Pairs and
// QuadsF on random circuits, and 8 rows in the AVX-512VL build 1.2-1.3x
// faster than 4.
constexpr int kGaussRows = 8;
template <int D, int L, class T>
static inline void GaussMatrix(const T* m, T (*ga)[D][L], T (*gs)[D][L], T (*gd)[D][L]) {
  for (int r = 0; r < D; ++r) {
    for (int c = 0; c < D; ++c) {
      const T re = m[2 * (D * r + c)], im = m[2 * (D * r + c) + 1];
      for (int l = 0; l < L; ++l) {
        ga[r][c][l] = re;
        gs[r][c][l] = re + im;
        gd[r][c][l] = im - re;
      }
    }
  }
}

// What differs between the precisions in the three-product kernels. A
// vector holds W complex amplitudes of one row: W adjacent groups, a
// "run", which needs the lowest gate qubit >= log2 W. A step takes two
// runs, split into a vector of real parts and one of imaginary parts
// (lanes in an order the merge undoes), and what is left at the end goes
// to the plain kernel.
template <class T>
struct GaussLanes;
template <>
struct GaussLanes<double> {
  using V = __m256d;
  static constexpr uint64_t W = 2;
  static V Load(const double* p) { return _mm256_loadu_pd(p); }
  static V LoadAligned(const double* p) { return _mm256_load_pd(p); }
  static void Store(double* p, V v) { _mm256_storeu_pd(p, v); }
  static V Zero() { return _mm256_setzero_pd(); }
  static V Fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  static V Add(V a, V b) { return _mm256_add_pd(a, b); }
  static V Sub(V a, V b) { return _mm256_sub_pd(a, b); }
  // Lanes: groups 0, 2, 1, 3 (unpack works inside 128-bit halves).
  static V Real(V u, V v) { return _mm256_unpacklo_pd(u, v); }
  static V Imag(V u, V v) { return _mm256_unpackhi_pd(u, v); }
  static V First(V re, V im) { return _mm256_unpacklo_pd(re, im); }
  static V Second(V re, V im) { return _mm256_unpackhi_pd(re, im); }
  template <int K>
  static void Rest(double* a, uint64_t mask, const uint64_t* off, uint64_t base, uint64_t count, const double* m) {
    Pairs<K>(a, mask, off, base, count, m);
  }
};
template <>
struct GaussLanes<float> {
  using V = __m256;
  static constexpr uint64_t W = 4;
  static V Load(const float* p) { return _mm256_loadu_ps(p); }
  static V LoadAligned(const float* p) { return _mm256_load_ps(p); }
  static void Store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static V Zero() { return _mm256_setzero_ps(); }
  static V Fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V Add(V a, V b) { return _mm256_add_ps(a, b); }
  static V Sub(V a, V b) { return _mm256_sub_ps(a, b); }
  // Lanes: groups 0, 1, 4, 5, 2, 3, 6, 7 (shuffle works inside 128-bit
  // halves).
  static V Real(V u, V v) { return _mm256_shuffle_ps(u, v, 0x88); }
  static V Imag(V u, V v) { return _mm256_shuffle_ps(u, v, 0xDD); }
  static V First(V re, V im) { return _mm256_unpacklo_ps(re, im); }
  static V Second(V re, V im) { return _mm256_unpackhi_ps(re, im); }
  template <int K>
  static void Rest(float* a, uint64_t mask, const uint64_t* off, uint64_t base, uint64_t count, const float* m) {
    QuadsF<K>(a, mask, off, base, count, m);
  }
};

// The three products on one step: xr, xi and xs (= xr + xi) hold the real
// parts, the imaginary parts and their sums of every row of the step's two
// runs; yr and yi get the result's. The callers split and merge, so that
// each keeps its loads and stores next to the arithmetic (GaussRuns ran 3%
// slower on the random circuit with the split inside).
template <int D, class T>
static inline void GaussRows(const typename GaussLanes<T>::V* xr, const typename GaussLanes<T>::V* xi,
                             const typename GaussLanes<T>::V* xs, const T (*ga)[D][32 / sizeof(T)],
                             const T (*gs)[D][32 / sizeof(T)], const T (*gd)[D][32 / sizeof(T)],
                             typename GaussLanes<T>::V* yr, typename GaussLanes<T>::V* yi) {
  using L = GaussLanes<T>;
  using V = typename L::V;
  constexpr int R = D < kGaussRows ? D : kGaussRows;
  for (int r0 = 0; r0 < D; r0 += R) {
    V t1[R], t2[R], t3[R];
    for (int r = 0; r < R; ++r) t1[r] = t2[r] = t3[r] = L::Zero();
    for (int c = 0; c < D; ++c) {
      for (int r = 0; r < R; ++r) {
        t1[r] = L::Fma(L::LoadAligned(ga[r0 + r][c]), xs[c], t1[r]);
        t2[r] = L::Fma(L::LoadAligned(gs[r0 + r][c]), xi[c], t2[r]);
        t3[r] = L::Fma(L::LoadAligned(gd[r0 + r][c]), xr[c], t3[r]);
      }
    }
    for (int r = 0; r < R; ++r) {
      yr[r0 + r] = L::Sub(t1[r], t2[r]);
      yi[r0 + r] = L::Add(t1[r], t3[r]);
    }
  }
}

// Two runs of W groups per step: base and count multiples of W.
template <int K, class T>
void GaussRuns(T* a, uint64_t mask, const uint64_t* off, uint64_t base, uint64_t count, const T* m) {
  using L = GaussLanes<T>;
  using V = typename L::V;
  constexpr int D = 1 << K, N = 32 / sizeof(T);
  constexpr uint64_t W = L::W, low = W - 1;
  alignas(32) T ga[D][D][N], gs[D][D][N], gd[D][D][N];
  GaussMatrix<D, N>(m, ga, gs, gd);
  uint64_t pb = GroupsAhead(base, count, mask, low);
  const bool linear = LinearPrefetch(mask, sizeof(T));
  const char* lp = reinterpret_cast<const char*>(a + 2 * base) + LinearAhead(mask, low);
  uint64_t i = 0;
  for (; i + 2 * W <= count; i += 2 * W) {
    const uint64_t b0 = base, b1 = NextBase(base | low, mask);
    if (linear) {
      // One vector per row and run: 64 * 2^K bytes, 2^K lines.
      for (int l = 0; l < D; ++l) _mm_prefetch(lp + 64 * l, _MM_HINT_T0);
      lp += 64 * D;
    } else {
      for (int c = 0; c < D; ++c) _mm_prefetch(reinterpret_cast<const char*>(a + 2 * (pb + off[c])), _MM_HINT_T0);
    }
    pb = NextBase(NextBase(pb | low, mask) | low, mask);
    V xr[D], xi[D], xs[D];
    for (int c = 0; c < D; ++c) {
      const V u = L::Load(a + 2 * (b0 + off[c])), v = L::Load(a + 2 * (b1 + off[c]));
      xr[c] = L::Real(u, v);
      xi[c] = L::Imag(u, v);
      xs[c] = L::Add(xr[c], xi[c]);
    }
    V yr[D], yi[D];
    GaussRows<D, T>(xr, xi, xs, ga, gs, gd, yr, yi);
    for (int r = 0; r < D; ++r) {
      L::Store(a + 2 * (b0 + off[r]), L::First(yr[r], yi[r]));
      L::Store(a + 2 * (b1 + off[r]), L::Second(yr[r], yi[r]));
    }
    base = NextBase(b1 | low, mask);
  }
  if (i < count) L::template Rest<K>(a, mask, off, base, count - i, m);
}
template <int K>
void GaussPairs(double* a, uint64_t mask, const uint64_t* off, uint64_t base, uint64_t count, const double* m) {
  GaussRuns<K, double>(a, mask, off, base, count, m);
}
template <int K>
void GaussQuadsF(float* a, uint64_t mask, const uint64_t* off, uint64_t base, uint64_t count, const float* m) {
  GaussRuns<K, float>(a, mask, off, base, count, m);
}

// Complex float: one __m256 holds four rows (re, im); K = 1 uses __m128
// for its two rows.
template <int K>
void GroupsF(float* a, uint64_t mask, const uint64_t* off, uint64_t base, uint64_t count, const float* m) {
  constexpr int D = 1 << K;
  if constexpr (K == 1) {
    alignas(16) float col[2][4], rot[2][4];
    for (int c = 0; c < 2; ++c) {
      for (int r = 0; r < 2; ++r) {
        float re = m[2 * (2 * r + c)], im = m[2 * (2 * r + c) + 1];
        col[c][2 * r] = re;
        col[c][2 * r + 1] = im;
        rot[c][2 * r] = -im;
        rot[c][2 * r + 1] = re;
      }
    }
    const __m128 c0 = _mm_load_ps(col[0]), c1 = _mm_load_ps(col[1]), r0 = _mm_load_ps(rot[0]), r1 = _mm_load_ps(rot[1]);
    const uint64_t o1 = off[1];
    for (uint64_t i = 0; i < count; ++i) {
      float* x0 = a + 2 * base;
      float* x1 = a + 2 * (base + o1);
      __m128 acc = _mm_mul_ps(c0, _mm_broadcast_ss(x0));
      acc = _mm_fmadd_ps(r0, _mm_broadcast_ss(x0 + 1), acc);
      acc = _mm_fmadd_ps(c1, _mm_broadcast_ss(x1), acc);
      acc = _mm_fmadd_ps(r1, _mm_broadcast_ss(x1 + 1), acc);
      _mm_storel_pi(reinterpret_cast<__m64*>(x0), acc);
      _mm_storeh_pi(reinterpret_cast<__m64*>(x1), acc);
      base = NextBase(base, mask);
    }
  } else {
    constexpr int P = D / 4;
    alignas(32) float col[D][P][8], rot[D][P][8];
    for (int c = 0; c < D; ++c) {
      for (int p = 0; p < P; ++p) {
        for (int h = 0; h < 4; ++h) {
          int r = 4 * p + h;
          float re = m[2 * (D * r + c)], im = m[2 * (D * r + c) + 1];
          col[c][p][2 * h] = re;
          col[c][p][2 * h + 1] = im;
          rot[c][p][2 * h] = -im;
          rot[c][p][2 * h + 1] = re;
        }
      }
    }
    for (uint64_t i = 0; i < count; ++i) {
      __m256 acc[P];
      for (int p = 0; p < P; ++p) acc[p] = _mm256_setzero_ps();
      for (int c = 0; c < D; ++c) {
        const float* x = a + 2 * (base + off[c]);
        __m256 xr = _mm256_broadcast_ss(x), xi = _mm256_broadcast_ss(x + 1);
        for (int p = 0; p < P; ++p) {
          acc[p] = _mm256_fmadd_ps(_mm256_load_ps(col[c][p]), xr, acc[p]);
          acc[p] = _mm256_fmadd_ps(_mm256_load_ps(rot[c][p]), xi, acc[p]);
        }
      }
      for (int p = 0; p < P; ++p) {
        __m128 lo = _mm256_castps256_ps128(acc[p]), hi = _mm256_extractf128_ps(acc[p], 1);
        _mm_storel_pi(reinterpret_cast<__m64*>(a + 2 * (base + off[4 * p])), lo);
        _mm_storeh_pi(reinterpret_cast<__m64*>(a + 2 * (base + off[4 * p + 1])), lo);
        _mm_storel_pi(reinterpret_cast<__m64*>(a + 2 * (base + off[4 * p + 2])), hi);
        _mm_storeh_pi(reinterpret_cast<__m64*>(a + 2 * (base + off[4 * p + 3])), hi);
      }
      base = NextBase(base, mask);
    }
  }
}

// Complex float with the lowest gate qubit 0 or 1, in the three-product
// form: four groups' same row are gathered into one vector (a "run", the
// layout QuadsF loads directly), two runs per step as in GaussRuns, and
// scattered back the same way. A complex float is one 64-bit lane, so the
// gather is a transpose of 64-bit lanes, by where the rows sit:
//   kPairsLow (qubit 1 lowest): groups b and b + 1 lie side by side; one
//     load holds rows c and c + 1 of both; two such loads (the run's two
//     pairs) are swapped by 128-bit halves.
//   kSpread (qubit 0 in the gate, qubit 1 not): one load holds rows c and
//     c + 1 of two successive groups; two loads are interleaved by lanes.
//   kBlock (qubits 0 and 1 in the gate): one load holds rows c .. c + 3 of
//     one group; four loads are transposed 4 x 4.
// GroupsF, which it replaces there, broadcasts every amplitude and stores
// each one by itself.
enum class LowLayout { kPairsLow, kSpread, kBlock };
template <LowLayout Y>
static inline void LowGather(const float* a, const uint64_t* g, uint64_t o, __m256* x) {
  const float* p[4] = {a + 2 * (g[0] + o), a + 2 * (g[1] + o), a + 2 * (g[2] + o), a + 2 * (g[3] + o)};
  if constexpr (Y == LowLayout::kPairsLow) {
    // g[0], g[1] = g[0] + 1 in one load; g[2], g[3] in another; rows o, o+2.
    const __m256 u = _mm256_loadu_ps(p[0]), v = _mm256_loadu_ps(p[2]);
    x[0] = _mm256_permute2f128_ps(u, v, 0x20);
    x[1] = _mm256_permute2f128_ps(u, v, 0x31);
  } else if constexpr (Y == LowLayout::kSpread) {
    // g[0], g[1] in one load (rows o, o+1 of each), g[2], g[3] in another.
    const __m256d u = _mm256_castps_pd(_mm256_loadu_ps(p[0])), v = _mm256_castps_pd(_mm256_loadu_ps(p[2]));
    x[0] = _mm256_castpd_ps(_mm256_unpacklo_pd(u, v));  // groups 0, 2, 1, 3
    x[1] = _mm256_castpd_ps(_mm256_unpackhi_pd(u, v));
  } else {
    const __m256d u0 = _mm256_castps_pd(_mm256_loadu_ps(p[0])), u1 = _mm256_castps_pd(_mm256_loadu_ps(p[1]));
    const __m256d u2 = _mm256_castps_pd(_mm256_loadu_ps(p[2])), u3 = _mm256_castps_pd(_mm256_loadu_ps(p[3]));
    const __m256d t0 = _mm256_unpacklo_pd(u0, u1), t1 = _mm256_unpackhi_pd(u0, u1);
    const __m256d t2 = _mm256_unpacklo_pd(u2, u3), t3 = _mm256_unpackhi_pd(u2, u3);
    x[0] = _mm256_castpd_ps(_mm256_permute2f128_pd(t0, t2, 0x20));
    x[1] = _mm256_castpd_ps(_mm256_permute2f128_pd(t1, t3, 0x20));
    x[2] = _mm256_castpd_ps(_mm256_permute2f128_pd(t0, t2, 0x31));
    x[3] = _mm256_castpd_ps(_mm256_permute2f128_pd(t1, t3, 0x31));
  }
}
template <LowLayout Y>
static inline void LowScatter(float* a, const uint64_t* g, uint64_t o, const __m256* x) {
  float* p[4] = {a + 2 * (g[0] + o), a + 2 * (g[1] + o), a + 2 * (g[2] + o), a + 2 * (g[3] + o)};
  if constexpr (Y == LowLayout::kPairsLow) {
    _mm256_storeu_ps(p[0], _mm256_permute2f128_ps(x[0], x[1], 0x20));
    _mm256_storeu_ps(p[2], _mm256_permute2f128_ps(x[0], x[1], 0x31));
  } else if constexpr (Y == LowLayout::kSpread) {
    const __m256d r0 = _mm256_castps_pd(x[0]), r1 = _mm256_castps_pd(x[1]);
    _mm256_storeu_ps(p[0], _mm256_castpd_ps(_mm256_unpacklo_pd(r0, r1)));
    _mm256_storeu_ps(p[2], _mm256_castpd_ps(_mm256_unpackhi_pd(r0, r1)));
  } else {
    const __m256d r0 = _mm256_castps_pd(x[0]), r1 = _mm256_castps_pd(x[1]);
    const __m256d r2 = _mm256_castps_pd(x[2]), r3 = _mm256_castps_pd(x[3]);
    const __m256d t0 = _mm256_permute2f128_pd(r0, r2, 0x20), t2 = _mm256_permute2f128_pd(r0, r2, 0x31);
    const __m256d t1 = _mm256_permute2f128_pd(r1, r3, 0x20), t3 = _mm256_permute2f128_pd(r1, r3, 0x31);
    _mm256_storeu_ps(p[0], _mm256_castpd_ps(_mm256_unpacklo_pd(t0, t1)));
    _mm256_storeu_ps(p[1], _mm256_castpd_ps(_mm256_unpackhi_pd(t0, t1)));
    _mm256_storeu_ps(p[2], _mm256_castpd_ps(_mm256_unpacklo_pd(t2, t3)));
    _mm256_storeu_ps(p[3], _mm256_castpd_ps(_mm256_unpackhi_pd(t2, t3)));
  }
}
// Two runs of W = 4 groups per step: base and count multiples of 8 (the
// pool's chunks are); what is left goes to GroupsF.
template <int K, LowLayout Y>
void GaussLowRuns(float* a, uint64_t mask, const uint64_t* off, uint64_t base, uint64_t count, const float* m) {
  using L = GaussLanes<float>;
  using V = __m256;
  constexpr int D = 1 << K, N = 8;
  constexpr uint64_t W = GaussLanes<float>::W;
  // Rows one load holds: the step between the offsets gathers start at.
  constexpr int S = Y == LowLayout::kBlock ? 4 : 2;
  alignas(32) float ga[D][D][N], gs[D][D][N], gd[D][D][N];
  GaussMatrix<D, N>(m, ga, gs, gd);
  const bool linear = LinearPrefetch(mask, sizeof(float));
  const char* lp = reinterpret_cast<const char*>(a + 2 * base) + LinearAhead(mask, LaneBits(mask, 3));
  uint64_t pb = linear ? base : GroupsAhead(base, count, mask, 0);
  uint64_t i = 0;
  for (; i + 2 * W <= count; i += 2 * W) {
    uint64_t g[2 * W];
    g[0] = base;
    for (uint64_t j = 1; j < 2 * W; ++j) g[j] = NextBase(g[j - 1], mask);
    base = NextBase(g[2 * W - 1], mask);
    if (linear) {
      // Eight groups of 2^K complex floats: 2^K lines.
      for (int l = 0; l < D; ++l) _mm_prefetch(lp + 64 * l, _MM_HINT_T0);
      lp += 64 * D;
    } else {
      for (int c = 0; c < D; c += S) _mm_prefetch(reinterpret_cast<const char*>(a + 2 * (pb + off[c])), _MM_HINT_T0);
      for (uint64_t j = 0; j < 2 * W; ++j) pb = NextBase(pb, mask);
    }
    V x0[D], x1[D];
    for (int c = 0; c < D; c += S) {
      LowGather<Y>(a, g, off[c], x0 + c);
      LowGather<Y>(a, g + W, off[c], x1 + c);
    }
    V xr[D], xi[D], xs[D];
    for (int c = 0; c < D; ++c) {
      xr[c] = L::Real(x0[c], x1[c]);
      xi[c] = L::Imag(x0[c], x1[c]);
      xs[c] = L::Add(xr[c], xi[c]);
    }
    V yr[D], yi[D], y0[D], y1[D];
    GaussRows<D, float>(xr, xi, xs, ga, gs, gd, yr, yi);
    for (int r = 0; r < D; ++r) {
      y0[r] = L::First(yr[r], yi[r]);
      y1[r] = L::Second(yr[r], yi[r]);
    }
    for (int r = 0; r < D; r += S) {
      LowScatter<Y>(a, g, off[r], y0 + r);
      LowScatter<Y>(a, g + W, off[r], y1 + r);
    }
  }
  if (i < count) GroupsF<K>(a, mask, off, base, count - i, m);
}
template <int K>
void GaussLowF(float* a, uint64_t mask, const uint64_t* off, uint64_t base, uint64_t count, const float* m) {
  static_assert(K >= 2, "kBlock needs two gate qubits");
  if (!(mask & 1)) return GaussLowRuns<K, LowLayout::kPairsLow>(a, mask, off, base, count, m);
  if (!(mask & 2)) return GaussLowRuns<K, LowLayout::kSpread>(a, mask, off, base, count, m);
  return GaussLowRuns<K, LowLayout::kBlock>(a, mask, off, base, count, m);
}
#else
template <int K, class T>
void GroupsT(T* a, uint64_t mask, const uint64_t* off, uint64_t base, uint64_t count, const T* m) {
  constexpr int D = 1 << K;
  for (uint64_t i = 0; i < count; ++i) {
    T xr[D], xi[D];
    for (int c = 0; c < D; ++c) {
      xr[c] = a[2 * (base + off[c])];
      xi[c] = a[2 * (base + off[c]) + 1];
    }
    for (int r = 0; r < D; ++r) {
      T yr = 0, yi = 0;
      for (int c = 0; c < D; ++c) {
        T mr = m[2 * (D * r + c)], mi = m[2 * (D * r + c) + 1];
        yr += mr * xr[c];
        yr += -mi * xi[c];
        yi += mi * xr[c];
        yi += mr * xi[c];
      }
      a[2 * (base + off[r])] = yr;
      a[2 * (base + off[r]) + 1] = yi;
    }
    base = NextBase(base, mask);
  }
}
template <int K>
void Groups(double* a, uint64_t mask, const uint64_t* off, uint64_t base, uint64_t count, const double* m) {
  GroupsT<K, double>(a, mask, off, base, count, m);
}
template <int K>
void GroupsF(float* a, uint64_t mask, const uint64_t* off, uint64_t base, uint64_t count, const float* m) {
  GroupsT<K, float>(a, mask, off, base, count, m);
}
#endif

// Phases. Each amplitude becomes (pr*xr - pi*xi, pr*xi + pi*xr) in both
// builds (FMA rounds once where the plain build rounds twice).
template <class T>
void PhaseTail(T* a, uint64_t from, uint64_t len, T pr, T pi) {
  for (uint64_t l = from; l < len; ++l) {
    const T xr = a[2 * l], xi = a[2 * l + 1];
    a[2 * l] = pr * xr - pi * xi;
    a[2 * l + 1] = pr * xi + pi * xr;
  }
}

#if defined(Z3BRA_DENSE_AVX2)
void PhaseD(double* a, uint64_t len, double re, double im) {
  const __m256d pr = _mm256_set1_pd(re), pi = _mm256_setr_pd(-im, im, -im, im);
  uint64_t l = 0;
  for (; l + 2 <= len; l += 2) {
    const __m256d x = _mm256_loadu_pd(a + 2 * l);
    _mm256_storeu_pd(a + 2 * l, _mm256_fmadd_pd(pi, _mm256_permute_pd(x, 5), _mm256_mul_pd(pr, x)));
  }
  PhaseTail<double>(a, l, len, re, im);
}
void PhaseF(float* a, uint64_t len, double re, double im) {
  const float r = float(re), i = float(im);
  const __m256 pr = _mm256_set1_ps(r), pi = _mm256_setr_ps(-i, i, -i, i, -i, i, -i, i);
  uint64_t l = 0;
  for (; l + 4 <= len; l += 4) {
    const __m256 x = _mm256_loadu_ps(a + 2 * l);
    _mm256_storeu_ps(a + 2 * l, _mm256_fmadd_ps(pi, _mm256_permute_ps(x, 0xB1), _mm256_mul_ps(pr, x)));
  }
  PhaseTail<float>(a, l, len, r, i);
}
void Phase4D(double* a, uint64_t len, const double* ph) {
  const __m256d pr0 = _mm256_setr_pd(ph[0], ph[0], ph[2], ph[2]), pi0 = _mm256_setr_pd(-ph[1], ph[1], -ph[3], ph[3]);
  const __m256d pr1 = _mm256_setr_pd(ph[4], ph[4], ph[6], ph[6]), pi1 = _mm256_setr_pd(-ph[5], ph[5], -ph[7], ph[7]);
  for (uint64_t l = 0; l < len; l += 4) {
    const __m256d x0 = _mm256_loadu_pd(a + 2 * l), x1 = _mm256_loadu_pd(a + 2 * l + 4);
    _mm256_storeu_pd(a + 2 * l, _mm256_fmadd_pd(pi0, _mm256_permute_pd(x0, 5), _mm256_mul_pd(pr0, x0)));
    _mm256_storeu_pd(a + 2 * l + 4, _mm256_fmadd_pd(pi1, _mm256_permute_pd(x1, 5), _mm256_mul_pd(pr1, x1)));
  }
}
void Phase4F(float* a, uint64_t len, const float* ph) {
  const __m256 pr = _mm256_setr_ps(ph[0], ph[0], ph[2], ph[2], ph[4], ph[4], ph[6], ph[6]);
  const __m256 pi = _mm256_setr_ps(-ph[1], ph[1], -ph[3], ph[3], -ph[5], ph[5], -ph[7], ph[7]);
  for (uint64_t l = 0; l < len; l += 4) {
    const __m256 x = _mm256_loadu_ps(a + 2 * l);
    _mm256_storeu_ps(a + 2 * l, _mm256_fmadd_ps(pi, _mm256_permute_ps(x, 0xB1), _mm256_mul_ps(pr, x)));
  }
}
#else
void PhaseD(double* a, uint64_t len, double re, double im) { PhaseTail<double>(a, 0, len, re, im); }
void PhaseF(float* a, uint64_t len, double re, double im) { PhaseTail<float>(a, 0, len, float(re), float(im)); }
template <class T>
void Phase4T(T* a, uint64_t len, const T* ph) {
  for (uint64_t l = 0; l < len; l += 4) {
    for (int j = 0; j < 4; ++j) PhaseTail<T>(a + 2 * (l + j), 0, 1, ph[2 * j], ph[2 * j + 1]);
  }
}
void Phase4D(double* a, uint64_t len, const double* ph) { Phase4T<double>(a, len, ph); }
void Phase4F(float* a, uint64_t len, const float* ph) { Phase4T<float>(a, len, ph); }
#endif

static const DenseKernels kTable = {
    kName,
    {nullptr, Groups<1>, Groups<2>, Groups<3>, Groups<4>, Groups<5>},
#if defined(Z3BRA_DENSE_WIDE_REGS)
    // Blocks of 3 qubits and more on qubit 0 or 1 in the three-product
    // form; 1q and 2q gates there keep the broadcast kernel.
    {nullptr, GroupsF<1>, GroupsF<2>, GaussLowF<3>, GaussLowF<4>, GaussLowF<5>},
#else
    {nullptr, GroupsF<1>, GroupsF<2>, GroupsF<3>, GroupsF<4>, GroupsF<5>},
#endif
#if defined(Z3BRA_DENSE_AVX2)
#if defined(Z3BRA_DENSE_WIDE_REGS)
    // Gates of 2 qubits measured alike or slightly slower in the
    // three-product form (unfused 2q sweep, median 1.26-1.28 against 1.23).
    {nullptr, Pairs<1>, Pairs<2>, GaussPairs<3>, GaussPairs<4>, GaussPairs<5>},
    {nullptr, QuadsF<1>, QuadsF<2>, GaussQuadsF<3>, GaussQuadsF<4>, GaussQuadsF<5>},
#else
    {nullptr, Pairs<1>, Pairs<2>, Pairs<3>, Pairs<4>, Pairs<5>},
    {nullptr, QuadsF<1>, QuadsF<2>, QuadsF<3>, QuadsF<4>, QuadsF<5>},
#endif
    {nullptr, PairsLow<1>, PairsLow<2>, PairsLow<3>, Groups<4>, Groups<5>},
    PhaseD,
    PhaseF,
    Phase4D,
    Phase4F,
#else
    {nullptr, Groups<1>, Groups<2>, Groups<3>, Groups<4>, Groups<5>},
    {nullptr, GroupsF<1>, GroupsF<2>, GroupsF<3>, GroupsF<4>, GroupsF<5>},
    {nullptr, Groups<1>, Groups<2>, Groups<3>, Groups<4>, Groups<5>},
    PhaseD,
    PhaseF,
    Phase4D,
    Phase4F,
#endif
};
