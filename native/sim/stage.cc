// SPDX-License-Identifier: Apache-2.0
#include "stage.h"

#include <cstdlib>
#include <cstring>
#include <memory>


#include "dense.h"
#include "env.h"
#include "kernels.h"
#include "run.h"

namespace z3bra {
namespace {

int Popcount(uint64_t x) { return __builtin_popcountll(x); }

bool IsZero(double re, double im) { return re == 0.0 && im == 0.0; }

// The qubits a step acts on, as a mask.
uint64_t StepMask(const std::vector<Op>& ops, const Step& st) {
  if (st.k == 0) return OpMask(ops[st.op]);
  uint64_t m = 0;
  for (int j = 0; j < st.k; ++j) m |= uint64_t{1} << st.q[j];
  return m;
}

// A stage of one step, run directly.
Stage Direct(const std::vector<Step>& steps, size_t i) {
  Stage s;
  s.direct = true;
  s.step = i;
  s.gates = steps[i].gates;
  return s;
}

// Whether a step only multiplies amplitudes by phases (all such steps
// commute with one another).
bool StepDiagonal(const std::vector<Op>& ops, const Step& st) {
  if (st.k > 0) return st.kind == BlockKind::kDiagonal;
  const Op& op = ops[st.op];
  const double* m = op.matrix.data();
  if (op.kind == OpKind::kU) return OpDiagonal(op);
  if (op.kind == OpKind::kU2) {
    for (int r = 0; r < 4; ++r) {
      for (int c = 0; c < 4; ++c) {
        if (r != c && !IsZero(m[2 * (4 * r + c)], m[2 * (4 * r + c) + 1])) return false;
      }
    }
    return true;
  }
  return false;
}

// The most low qubits a block can keep when its steps touch the qubits in
// u: the largest L with L + |{q in u : q >= L}| <= b (that sum never falls
// as L grows), or -1 when even min_low does not fit.
int LowFor(uint64_t u, int n, int b, int min_low) {
  int best = -1;
  for (int l = min_low; l <= b && l <= n; ++l) {
    uint64_t above = l >= 64 ? 0 : u >> l;
    if (l + Popcount(above) > b) break;
    best = l;
  }
  return best;
}

// i with a zero bit inserted at each of the ascending positions pos.
uint64_t Insert(uint64_t i, const std::vector<int>& pos) {
  for (int p : pos) {
    uint64_t low = i & ((uint64_t{1} << p) - 1);
    i = ((i >> p) << (p + 1)) | low;
  }
  return i;
}

// Floor passes a stage whose block is copied pays for the copies
// (measured: a gather and a scatter cost two to three in-place passes).
constexpr double kCopiedStagePasses = 2.5;


}  // namespace

StageBuffers::~StageBuffers() {
  for (void* p : bufs_) std::free(p);
}

void StageBuffers::Reserve(int workers, size_t bytes) {
  if (bytes > bytes_) {
    for (void* p : bufs_) std::free(p);
    bufs_.clear();
    bytes_ = bytes;
  }
  while (static_cast<int>(bufs_.size()) < workers) {
    void* p = std::aligned_alloc(64, (bytes_ + 63) / 64 * 64);
    if (p == nullptr) throw MemoryError("a stage buffer of " + std::to_string(bytes_) + " bytes was refused");
    bufs_.push_back(p);
  }
}

int DefaultBlockQubits(Precision p) {
  static const int env = static_cast<int>(EnvInt("Z3BRA_SIM_BLOCK_QUBITS", -1, 0, 40));
  if (env >= 0) return env;
  return p == Precision::kSingle ? 16 : 15;
}

int DefaultStageMinLow() {
  static const int env = static_cast<int>(EnvInt("Z3BRA_SIM_STAGE_MIN_LOW", -1, 0, 40));
  return env >= 0 ? env : kStageMinLow;
}

std::vector<Stage> PlanStages(const std::vector<Op>& ops, const std::vector<Step>& steps, int n, int block_qubits,
                              int min_low) {
  std::vector<Stage> out;
  if (block_qubits <= 0 || n <= block_qubits || min_low > block_qubits) {
    for (size_t i = 0; i < steps.size(); ++i) out.push_back(Direct(steps, i));
    return out;
  }
  std::vector<uint64_t> mask(steps.size());
  std::vector<bool> diag(steps.size());
  for (size_t i = 0; i < steps.size(); ++i) {
    mask[i] = StepMask(ops, steps[i]);
    diag[i] = StepDiagonal(ops, steps[i]);
  }
  const uint64_t all = n >= 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1;
  std::vector<size_t> rest(steps.size());
  for (size_t i = 0; i < rest.size(); ++i) rest[i] = i;
  while (!rest.empty()) {
    // Greedy in program order: a step joins when its qubits still fit and
    // it commutes with every step left behind so far.
    uint64_t u = 0, held_any = 0, held_diag = 0;
    std::vector<size_t> take, left;
    for (size_t j = 0; j < rest.size(); ++j) {
      size_t i = rest[j];
      if ((held_any & all) == all) {
        left.insert(left.end(), rest.begin() + static_cast<long>(j), rest.end());
        break;
      }
      const uint64_t m = mask[i];
      const bool blocked = (m & held_any) != 0 || (!diag[i] && (m & held_diag) != 0);
      if (!blocked && LowFor(u | m, n, block_qubits, min_low) >= 0) {
        take.push_back(i);
        u |= m;
      } else {
        left.push_back(i);
        (diag[i] ? held_diag : held_any) |= m;
      }
    }
    if (take.empty()) {
      // A step wider than any block: it runs directly.
      take.push_back(left.front());
      left.erase(left.begin());
    }
    // A stage pays one pass over the state where its block is contiguous,
    // about two where it is copied, and then its steps' compute; run
    // directly, each step pays its own pass or its own compute.
    const int low = LowFor(u, n, block_qubits, min_low);
    const bool copied = low < n && (u >> low) != 0;
    double direct = 0, staged = copied ? kCopiedStagePasses : 1.0;
    for (size_t i : take) {
      direct += StepCost(ops, steps[i]);
      staged += StepCacheCost(ops, steps[i]);
    }
    if (take.size() == 1 || staged >= direct) {
      for (size_t i : take) out.push_back(Direct(steps, i));
      rest.swap(left);
      continue;
    }
    Stage s;
    s.low = low;
    for (int q = s.low; q < n; ++q) {
      if ((u >> q) & 1) s.high.push_back(q);
    }
    auto rename = [&](int q) {
      if (q < s.low) return q;
      for (size_t j = 0; j < s.high.size(); ++j) {
        if (s.high[j] == q) return s.low + static_cast<int>(j);
      }
      return q;  // not reached: every qubit of a step is in the block
    };
    for (size_t i : take) {
      Step st = steps[i];
      s.gates += st.gates;
      if (st.k > 0) {
        for (int j = 0; j < st.k; ++j) st.q[j] = rename(st.q[j]);
      } else {
        Op op = ops[st.op];
        op.q[0] = rename(op.q[0]);
        if (op.kind == OpKind::kSwap || op.kind == OpKind::kU2) op.q[1] = rename(op.q[1]);
        for (int& c : op.controls) c = rename(c);
        st.op = s.ops.size();
        s.ops.push_back(std::move(op));
      }
      s.steps.push_back(std::move(st));
    }
    out.push_back(std::move(s));
    rest.swap(left);
  }
  return out;
}

void ApplyStep(Pool& pool, State& s, const std::vector<Op>& ops, const Step& st) {
  if (st.k == 0) {
    ApplyUnitary(pool, s, ops[st.op]);
  } else if (st.kind == BlockKind::kDiagonal) {
    const int d = 1 << st.k;
    double diag[64];
    for (int x = 0; x < d; ++x) {
      diag[2 * x] = st.m[2 * (d * x + x)];
      diag[2 * x + 1] = st.m[2 * (d * x + x) + 1];
    }
    ApplyDiagonalBlock(pool, s, st.q, st.k, diag);
  } else if (st.kind == BlockKind::kPermutation) {
    const int d = 1 << st.k;
    int from[32];
    for (int r = 0; r < d; ++r) {
      for (int c = 0; c < d; ++c) {
        if (st.m[2 * (d * r + c)] == 1.0) from[r] = c;
      }
    }
    ApplyPermutationBlock(pool, s, st.q, st.k, from);
  } else {
    ApplyDense(pool, s, st.q, st.k, st.m.data());
  }
}

void ApplyStage(Pool& pool, State& s, const std::vector<Op>& ops, const std::vector<Step>& steps, const Stage& st,
                StageBuffers& bufs) {
  if (st.direct) {
    ApplyStep(pool, s, ops, steps[st.step]);
    return;
  }
  const int h = static_cast<int>(st.high.size());
  const int b = st.low + h;
  const size_t amp = s.single() ? 8 : 16;
  const uint64_t groups = s.dim() >> b;
  const uint64_t run = uint64_t{1} << st.low;
  const size_t run_bytes = run * amp;
  char* a = s.data<char>();
  // Where each of the 2^h runs of a block starts, from the block's base.
  std::vector<uint64_t> off(size_t{1} << h);
  for (size_t r = 0; r < off.size(); ++r) {
    uint64_t o = 0;
    for (int j = 0; j < h; ++j) {
      if ((r >> j) & 1) o |= uint64_t{1} << st.high[j];
    }
    off[r] = s.Phys(o);
  }
  if (h > 0) bufs.Reserve(pool.size(), (size_t{1} << b) * amp);
  pool.Run(
      groups,
      [&](uint64_t gb, uint64_t ge, int w) {
        Pool one(Pool::Inline{});
        if (h == 0) {
          // The block is contiguous: work on it where it lies.
          for (uint64_t g = gb; g < ge; ++g) {
            State view(b, s.precision(), a + s.Phys(g << b) * amp);
            for (const Step& x : st.steps) ApplyStep(one, view, st.ops, x);
          }
          return;
        }
        char* buf = bufs.Get(w);
        State view(b, s.precision(), buf);
        for (uint64_t g = gb; g < ge; ++g) {
          const uint64_t base = Insert(g << st.low, st.high);
          const uint64_t at = s.Phys(base);
          for (size_t r = 0; r < off.size(); ++r) std::memcpy(buf + r * run_bytes, a + (at + off[r]) * amp, run_bytes);
          for (const Step& x : st.steps) ApplyStep(one, view, st.ops, x);
          for (size_t r = 0; r < off.size(); ++r) std::memcpy(a + (at + off[r]) * amp, buf + r * run_bytes, run_bytes);
        }

      },
      1);
}

}  // namespace z3bra
