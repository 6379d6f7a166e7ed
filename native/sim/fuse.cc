// SPDX-License-Identifier: Apache-2.0
#include "fuse.h"

#include <algorithm>
#include <complex>
#include <cstdint>

namespace z3bra {
namespace {

using cplx = std::complex<double>;

// Cost of one dense block of k qubits, in floor passes, as measured on the
// perf circuits at N=24 on one thread (random: 230 blocks of 2 qubits took
// ~270 passes, 118 of 3 ~275, 88 of 4 ~640): memory-bound up to 2 qubits,
// then bound by FMAs and matrix loads (8 FMAs per amplitude at 3 qubits).
constexpr double kBlockCost[kMaxDense + 1] = {0, 1.0, 1.2, 2.0, 5.0, 12.0};
// The same blocks' compute alone, on a block in cache: one floor pass is
// about 0.6-0.75 ns per amplitude on one thread of the hosts we measured.
constexpr double kCacheCost[kMaxDense + 1] = {0, 0.45, 0.6, 1.5, 3.8, 9.0};
// How many of the latest groups a gate may join; beyond that the gain is
// nil and the planner's time grows with the circuit.
constexpr size_t kWindow = 64;

int Popcount(uint64_t x) { return __builtin_popcountll(x); }

bool IsZero(double re, double im) { return re == 0.0 && im == 0.0; }

// Share of the state's cache lines a specialised kernel reads and writes:
// each control or phase-only target at position >= 2 halves it (the four
// amplitudes of a 64-byte line differ only in bits 0 and 1).
double Touched(const std::vector<int>& bits) {
  double f = 1.0;
  for (int q : bits) {
    if (q >= 2) f *= 0.5;
  }
  return f;
}

// Floor passes of one gate on its own kernel (kernels.cc, dense.cc).
double GateCost(const Op& op) {
  if (op.kind == OpKind::kU2) return kBlockCost[2];
  const double* m = op.matrix.data();
  std::vector<int> bits = op.controls;
  if (op.kind == OpKind::kSwap) {
    // Swaps exchange the a=1,b=0 and a=0,b=1 quarters.
    bits.push_back(op.q[0]);
    return 1.0 * Touched(bits) + 0.05;
  }
  const bool diagonal = IsZero(m[2], m[3]) && IsZero(m[4], m[5]);
  if (diagonal && m[0] == 1.0 && m[1] == 0.0) {
    if (m[6] == 1.0 && m[7] == 0.0) return 0;
    bits.push_back(op.q[0]);
  }
  return Touched(bits) + 0.05;
}

// Applies op to the small state v of k qubits; v's bit j is qubit q[j].
void ApplySmall(const Op& op, const int* q, int k, cplx* v) {
  auto local = [&](int qubit) {
    for (int j = 0; j < k; ++j) {
      if (q[j] == qubit) return j;
    }
    return -1;
  };
  uint64_t cm = 0;
  for (int c : op.controls) cm |= uint64_t{1} << local(c);
  const uint64_t d = uint64_t{1} << k;
  const double* m = op.matrix.data();
  if (op.kind == OpKind::kU) {
    const uint64_t tb = uint64_t{1} << local(op.q[0]);
    const cplx a(m[0], m[1]), b(m[2], m[3]), c(m[4], m[5]), e(m[6], m[7]);
    for (uint64_t i = 0; i < d; ++i) {
      if ((i & tb) || (i & cm) != cm) continue;
      cplx x = v[i], y = v[i | tb];
      v[i] = a * x + b * y;
      v[i | tb] = c * x + e * y;
    }
  } else if (op.kind == OpKind::kSwap) {
    const uint64_t ba = uint64_t{1} << local(op.q[0]), bb = uint64_t{1} << local(op.q[1]);
    for (uint64_t i = 0; i < d; ++i) {
      if ((i & (ba | bb)) || (i & cm) != cm) continue;
      std::swap(v[i | ba], v[i | bb]);
    }
  } else {
    const uint64_t b0 = uint64_t{1} << local(op.q[0]), b1 = uint64_t{1} << local(op.q[1]);
    const uint64_t off[4] = {0, b0, b1, b0 | b1};
    for (uint64_t i = 0; i < d; ++i) {
      if (i & (b0 | b1)) continue;
      cplx x[4], y[4];
      for (int c = 0; c < 4; ++c) x[c] = v[i | off[c]];
      for (int r = 0; r < 4; ++r) {
        y[r] = 0;
        for (int c = 0; c < 4; ++c) y[r] += cplx(m[8 * r + 2 * c], m[8 * r + 2 * c + 1]) * x[c];
      }
      for (int r = 0; r < 4; ++r) v[i | off[r]] = y[r];
    }
  }
}

// Diagonal gates (phases, controlled phases, Z, RZ) and permutations (X,
// CX, Toffoli, SWAP, Fredkin) fuse into blocks wider than dense ones: their
// kernels stay memory-bound at any width up to kMaxDense.
bool OpPermutation(const Op& op) {
  if (op.kind == OpKind::kSwap) return true;
  if (op.kind != OpKind::kU) return false;
  const double* m = op.matrix.data();
  return IsZero(m[0], m[1]) && IsZero(m[6], m[7]) && m[2] == 1.0 && m[3] == 0.0 && m[4] == 1.0 && m[5] == 0.0;
}

// Floor passes of a diagonal block on sorted qubits q with `ctrl` (bits of
// q's index) the qubits whose 0 half it leaves alone; its runs are
// 2^(lowest other qubit) amplitudes long, and short runs cost.
double DiagonalCost(const int* q, int k, uint64_t ctrl) {
  double touched = 1.0;
  int low = 64;
  for (int j = 0; j < k; ++j) {
    if ((ctrl >> j) & 1) {
      if (q[j] >= 2) touched *= 0.5;
    } else {
      low = std::min(low, q[j]);
    }
  }
  return low >= 2 ? touched + 0.05 : 1e300;
}

// Whether a diagonal block's runs of one phase are at least 4 amplitudes.
bool DiagonalFast(const Step& s) {
  const int d = 1 << s.k;
  auto one = [&](int x) { return s.m[2 * (d * x + x)] == 1.0 && s.m[2 * (d * x + x) + 1] == 0.0; };
  for (int j = 0; j < s.k; ++j) {
    bool ctrl = true;
    for (int x = 0; x < d; ++x) {
      if (!((x >> j) & 1) && !one(x)) ctrl = false;
    }
    if (!ctrl && s.q[j] < 2) return false;
  }
  return true;
}

struct Group {
  uint64_t mask = 0;
  std::vector<size_t> ops;
  bool closed = false;  // a gate too wide to fuse: nothing joins it
  bool diagonal = true, permutation = true;  // every op so far is one
};

}  // namespace

uint64_t OpMask(const Op& op) {
  int q[64];
  int n = OpQubits(op, q, 64);
  uint64_t m = 0;
  for (int j = 0; j < n; ++j) m |= uint64_t{1} << q[j];
  return m;
}

bool OpDiagonal(const Op& op) {
  if (op.kind != OpKind::kU) return false;
  const double* m = op.matrix.data();
  return m[2] == 0.0 && m[3] == 0.0 && m[4] == 0.0 && m[5] == 0.0;
}

BlockKind ClassifyMatrix(const double* m, int k) {
  const int d = 1 << k;
  bool diagonal = true, permutation = true;
  for (int r = 0; r < d; ++r) {
    int ones = 0;
    for (int c = 0; c < d; ++c) {
      double re = m[2 * (d * r + c)], im = m[2 * (d * r + c) + 1];
      if (r != c && !IsZero(re, im)) diagonal = false;
      if (re == 1.0 && im == 0.0) {
        ++ones;
      } else if (!IsZero(re, im)) {
        permutation = false;
      }
    }
    if (ones != 1) permutation = false;
  }
  if (diagonal) return BlockKind::kDiagonal;  // the identity too
  return permutation ? BlockKind::kPermutation : BlockKind::kDense;
}

int OpQubits(const Op& op, int* q, int cap) {
  int n = 0;
  auto add = [&](int x) {
    if (n < cap) q[n] = x;
    ++n;
  };
  add(op.q[0]);
  if (op.kind == OpKind::kSwap || op.kind == OpKind::kU2) add(op.q[1]);
  for (int c : op.controls) add(c);
  return n;
}

void OpMatrix(const Op& op, const int* q, int k, double* m) {
  const uint64_t d = uint64_t{1} << k;
  std::vector<cplx> col(d);
  for (uint64_t c = 0; c < d; ++c) {
    std::fill(col.begin(), col.end(), cplx(0));
    col[c] = 1;
    ApplySmall(op, q, k, col.data());
    for (uint64_t r = 0; r < d; ++r) {
      m[2 * (d * r + c)] = col[r].real();
      m[2 * (d * r + c) + 1] = col[r].imag();
    }
  }
}

std::vector<Step> PlanFusion(const std::vector<Op>& ops, const std::vector<size_t>& which, int max_qubits) {
  std::vector<Step> out;
  if (max_qubits < 2) {
    for (size_t i : which) {
      Step s;
      s.op = i;
      s.gates = 1;
      out.push_back(std::move(s));
    }
    return out;
  }
  max_qubits = std::min(max_qubits, kMaxDense);
  std::vector<Group> groups;
  std::vector<long> last(64, -1);  // the latest group touching each qubit
  for (size_t i : which) {
    const uint64_t gm = OpMask(ops[i]);
    long dep = -1;
    for (int q = 0; q < 64; ++q) {
      if ((gm >> q) & 1) dep = std::max(dep, last[q]);
    }
    // A gate may join any group from its latest dependency on: nothing after
    // that group touches its qubits, so running it there changes nothing.
    long pick = -1;
    const bool diag = OpDiagonal(ops[i]), perm = OpPermutation(ops[i]);
    if (Popcount(gm) <= max_qubits) {
      long from = std::max<long>(dep, static_cast<long>(groups.size()) - static_cast<long>(kWindow));
      int best_overlap = -1, best_size = 1 << 30;
      for (long g = std::max<long>(from, 0); g < static_cast<long>(groups.size()); ++g) {
        if (groups[g].closed) continue;
        uint64_t u = groups[g].mask | gm;
        int size = Popcount(u), overlap = Popcount(groups[g].mask & gm);
        if (size > max_qubits) continue;
        if (overlap > best_overlap || (overlap == best_overlap && size < best_size)) {
          pick = g;
          best_overlap = overlap;
          best_size = size;
        }
      }
    }
    if (pick < 0) {
      groups.emplace_back();
      pick = static_cast<long>(groups.size()) - 1;
      groups[pick].closed = Popcount(gm) > max_qubits;
    }
    groups[pick].mask |= gm;
    groups[pick].ops.push_back(i);
    groups[pick].diagonal = groups[pick].diagonal && diag;
    groups[pick].permutation = groups[pick].permutation && perm;
    for (int q = 0; q < 64; ++q) {
      if ((gm >> q) & 1) last[q] = pick;
    }
  }

  for (const Group& g : groups) {
    double apart = 0;
    for (size_t i : g.ops) apart += GateCost(ops[i]);
    const int k = Popcount(g.mask);
    int gq[64], n = 0;
    for (int q = 0; q < 64; ++q) {
      if ((g.mask >> q) & 1) gq[n++] = q;
    }
    double cost = k <= kMaxDense ? kBlockCost[k] : 1e300;
    // A permutation block touches every line of its groups: measured at
    // 1.2-1.4 floor passes for three qubits, against ~0.55 per unfused CX.
    if (g.permutation && k <= kMaxDense && gq[0] >= 2) cost = std::min(cost, 1.3);
    if (g.diagonal && k <= kMaxDense) {
      // The qubits every op needs at 1 (a control, or the 1 half of a phase).
      uint64_t common = g.mask;
      for (size_t i : g.ops) {
        const Op& op = ops[i];
        uint64_t need = 0;
        for (int c : op.controls) need |= uint64_t{1} << c;
        const double* m = op.matrix.data();
        if (m[0] == 1.0 && m[1] == 0.0) need |= uint64_t{1} << op.q[0];
        common &= need;
      }
      uint64_t ctrl = 0;
      for (int j = 0; j < k; ++j) {
        if ((common >> gq[j]) & 1) ctrl |= uint64_t{1} << j;
      }
      cost = std::min(cost, DiagonalCost(gq, k, ctrl));
    }
    if (g.closed || g.ops.size() == 1 || cost >= apart) {
      for (size_t i : g.ops) {
        Step s;
        s.op = i;
        s.gates = 1;
        out.push_back(std::move(s));
      }
      continue;
    }
    Step s;
    s.k = k;
    s.gates = static_cast<int>(g.ops.size());
    for (int j = 0; j < k; ++j) s.q[j] = gq[j];
    // Column by column: each basis state pushed through the gates in order,
    // the same products a sequential run would form, to rounding.
    const uint64_t d = uint64_t{1} << k;
    std::vector<cplx> col(d);
    s.m.assign(2 * d * d, 0.0);
    for (uint64_t c = 0; c < d; ++c) {
      std::fill(col.begin(), col.end(), cplx(0));
      col[c] = 1;
      for (size_t i : g.ops) ApplySmall(ops[i], s.q, k, col.data());
      for (uint64_t r = 0; r < d; ++r) {
        s.m[2 * (d * r + c)] = col[r].real();
        s.m[2 * (d * r + c) + 1] = col[r].imag();
      }
    }
    s.kind = ClassifyMatrix(s.m.data(), k);
    // The specialised block kernels walk runs of 2^(lowest qubit) amplitudes,
    // or whole 4-amplitude granules when the block has qubit 0 or 1 (the
    // permutation kernel, and the diagonal one when its phases change
    // there); a diagonal block that DiagonalFast refuses is left dense.
    if (s.kind == BlockKind::kDiagonal && !DiagonalFast(s)) s.kind = BlockKind::kDense;
    out.push_back(std::move(s));
  }
  return out;
}

double StepCost(const std::vector<Op>& ops, const Step& st) {
  if (st.k == 0) return GateCost(ops[st.op]);
  if (st.kind == BlockKind::kDiagonal) {
    // Only the part where the phases are not all 1 is walked: each qubit
    // at 2 or above whose 0 half the block leaves alone halves it.
    const int d = 1 << st.k;
    double touched = 1.0;
    for (int j = 0; j < st.k; ++j) {
      if (st.q[j] < 2) continue;
      bool ones = true;
      for (int x = 0; x < d && ones; ++x) {
        if (!((x >> j) & 1)) ones = st.m[2 * (d * x + x)] == 1.0 && st.m[2 * (d * x + x) + 1] == 0.0;
      }
      if (ones) touched *= 0.5;
    }
    return touched + 0.05;
  }
  if (st.kind == BlockKind::kPermutation) return 1.0;
  return kBlockCost[st.k];
}

double StepCacheCost(const std::vector<Op>& ops, const Step& st) {
  if (st.k == 0) {
    const Op& op = ops[st.op];
    if (op.kind == OpKind::kU2) return kCacheCost[2];
    if (op.kind == OpKind::kU && op.controls.empty() && !OpDiagonal(op) && !OpPermutation(op)) return kCacheCost[1];
    return 0.25;
  }
  if (st.kind != BlockKind::kDense) return 0.3;
  return kCacheCost[st.k];
}

}  // namespace z3bra
