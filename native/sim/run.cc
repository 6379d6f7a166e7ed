// SPDX-License-Identifier: Apache-2.0
#include "run.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "dense.h"
#include "env.h"
#include "fuse.h"
#include "kernels.h"
#include "stage.h"
#include "state.h"

namespace z3bra {
namespace {

bool IsUnitary(const Op& op) { return op.kind == OpKind::kU || op.kind == OpKind::kSwap || op.kind == OpKind::kU2; }

bool CondHolds(const Op& op, const Bits& bits) {
  uint64_t v = 0;
  for (size_t k = 0; k < op.cond_bits.size(); ++k) v |= uint64_t{bits.Get(op.cond_bits[k])} << k;
  return v == op.cond_value;
}

bool IsZero(double re, double im) { return re == 0.0 && im == 0.0; }

}  // namespace

// Z3BRA_SIM_KERNELS=dense sends every gate of up to kMaxDense qubits through
// the dense kernel, the reference the specialised kernels are tested against.
bool DenseOnly() {
  static const bool on = EnvWord("Z3BRA_SIM_KERNELS", {"dense"}) == "dense";
  return on;
}

bool ProfileStages() {
  static const bool on = EnvInt("Z3BRA_SIM_PROFILE", 0, 0, 1) == 1;
  return on;
}

void ApplyUnitary(Pool& pool, State& s, const Op& op) {
  int q[kMaxDense];
  if (DenseOnly()) {
    int k = OpQubits(op, q, kMaxDense);
    if (k <= kMaxDense) {
      std::vector<double> m(2u << (2 * k));
      OpMatrix(op, q, k, m.data());
      ApplyDense(pool, s, q, k, m.data());
      return;
    }
  }
  const double* m = op.matrix.data();
  switch (op.kind) {
    case OpKind::kU:
      // Dense uncontrolled gates take the vectorised dense kernel; the rest
      // have cheaper specialised paths.
      if (op.controls.empty() && !(IsZero(m[2], m[3]) && IsZero(m[4], m[5])) &&
          !(IsZero(m[0], m[1]) && IsZero(m[6], m[7]))) {
        ApplyDense(pool, s, op.q, 1, m);
      } else {
        ApplyU(pool, s, op.q[0], op.controls, m);
      }
      break;
    case OpKind::kSwap:
      ApplySwap(pool, s, op.q[0], op.q[1], op.controls);
      break;
    case OpKind::kU2:
      ApplyDense(pool, s, op.q, 2, m);
      break;
    default:
      break;
  }
}

namespace {

// Which measures can wait for the end: the qubit is not touched again by a
// gate or reset, the clbit is not read by a later condition, and no later
// mid-circuit measure writes the same clbit (which would then be overwritten
// by the deferred value, reversing their order).
std::vector<bool> Deferrable(const Circuit& c) {
  std::vector<bool> out(c.ops.size(), false);
  std::vector<bool> touched(c.qubits, false), read(c.clbits, false), written(c.clbits, false);
  for (size_t k = c.ops.size(); k-- > 0;) {
    const Op& op = c.ops[k];
    if (op.kind == OpKind::kMeasure && !op.conditional()) {
      out[k] = !touched[op.q[0]] && !read[op.clbit] && !written[op.clbit];
      if (!out[k]) written[op.clbit] = true;
      continue;
    }
    if (op.kind == OpKind::kMeasure) written[op.clbit] = true;
    for (int b : op.cond_bits) read[b] = true;
    touched[op.q[0]] = true;
    if (op.kind == OpKind::kSwap || op.kind == OpKind::kU2) touched[op.q[1]] = true;
    for (int q : op.controls) touched[q] = true;
  }
  return out;
}

// The basis states hit by sorted uniforms: the cumulative probability swept
// once over fixed chunks, each uniform scaled by the state's total norm.
template <class T>
std::vector<uint64_t> SampleSortedT(Pool& pool, const State& s, const std::vector<double>& sorted) {
  std::vector<double> norms = ChunkNorms(pool, s);
  double total = 0;
  for (double x : norms) total += x;
  const T* a = s.data<T>();
  std::vector<uint64_t> out;
  out.reserve(sorted.size());
  size_t c = 0;
  double before = 0;  // sum of the chunks before c
  uint64_t pos = 0;   // next amplitude of chunk c not yet passed
  double inside = 0;  // sum of chunk c's amplitudes before pos
  uint64_t nonzero = 0;  // the last amplitude passed with p > 0
  const uint64_t last = norms.size() - 1;
  for (double u : sorted) {
    double target = u * total;
    while (c < last && before + norms[c] <= target) {
      before += norms[c];
      ++c;
      pos = c * kChunk;
      inside = 0;
    }
    // Summing from the chunk's start in the same order as ChunkNorms makes
    // the sweep reach norms[c] exactly, so a target inside the chunk is hit.
    double within = target - before;
    uint64_t end = std::min(s.dim(), (c + 1) * kChunk);
    const T* ac = a + 2 * (s.Phys(c * kChunk) - c * kChunk);  // a chunk lies in one segment
    uint64_t hit = end;
    for (uint64_t i = pos; i < end; ++i) {
      double re = ac[2 * i], im = ac[2 * i + 1];
      double p = re * re + im * im;
      if (p > 0) nonzero = i;
      if (inside + p > within) {
        hit = i;
        break;
      }
      inside += p;
      pos = i + 1;
    }
    // Only rounding at the very top of the last chunk gets here: take the
    // last amplitude that can occur.
    if (hit == end) hit = nonzero;
    out.push_back(hit);
  }
  return out;
}

std::vector<uint64_t> SampleSorted(Pool& pool, const State& s, const std::vector<double>& sorted) {
  return s.single() ? SampleSortedT<float>(pool, s, sorted) : SampleSortedT<double>(pool, s, sorted);
}

class Runner {
 public:
  Runner(const Circuit& c, Pool& pool, uint64_t branch_memory)
      : c_(c), pool_(pool), branch_memory_(branch_memory), deferrable_(Deferrable(c)), prefix_end_(c.ops.size()) {
    for (size_t k = 0; k < c.ops.size(); ++k) {
      const Op& op = c.ops[k];
      if (deferrable_[k]) {
        deferred_.emplace_back(op.q[0], op.clbit);
      } else if (!IsUnitary(op) || op.conditional()) {
        if (prefix_end_ == c.ops.size()) prefix_end_ = k;
      }
    }
  }

  RunResult Run() {
    auto t_init = std::chrono::steady_clock::now();
    RunResult r;
    Terminal term(deferred_, c_.clbits);
    auto prefix = std::make_unique<State>(c_.qubits, c_.precision);
    InitZero(pool_, *prefix);
    // apply_seconds starts once the state exists: mapping and first touch
    // (page faults) are reported apart as init_seconds.
    auto t0 = std::chrono::steady_clock::now();
    r.init_seconds = std::chrono::duration<double>(t0 - t_init).count();
    // The prefix is the one stretch run exactly once, so it is the one
    // fused; measures deferred out of it commute with everything after.
    std::vector<size_t> gates;
    for (size_t k = 0; k < prefix_end_; ++k) {
      if (IsUnitary(c_.ops[k])) gates.push_back(k);
    }
    const int fusion = c_.fusion < 0 ? kDefaultFusionQubits : c_.fusion;
    std::vector<Step> steps = PlanFusion(c_.ops, gates, fusion);
    const bool profile = ProfileStages();
    const int block = std::min(DefaultBlockQubits(c_.precision), State::SegmentQubitsFor(c_.qubits, c_.precision));
    std::vector<Stage> stages = PlanStages(c_.ops, steps, c_.qubits, block, DefaultStageMinLow());
    StageBuffers buffers;
    for (const Stage& sg : stages) {
      auto s0 = std::chrono::steady_clock::now();
      ApplyStage(pool_, *prefix, c_.ops, steps, sg, buffers);
      if (profile) {
        // One line per stage on stderr: its steps, block qubits, time.
        double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - s0).count();
        if (sg.direct) {
          const Step& st = steps[sg.step];
          std::fprintf(stderr, "direct k=%d kind=%d gates=%d q=", st.k, static_cast<int>(st.kind), st.gates);
          if (st.k == 0) {
            int q[64];
            int n = OpQubits(c_.ops[st.op], q, 64);
            for (int j = 0; j < n; ++j) std::fprintf(stderr, "%d,", q[j]);
          }
          for (int j = 0; j < st.k; ++j) std::fprintf(stderr, "%d,", st.q[j]);
        } else {
          std::fprintf(stderr, "stage steps=%zu gates=%d low=%d high=", sg.steps.size(), sg.gates, sg.low);
          for (int q : sg.high) std::fprintf(stderr, "%d,", q);
        }
        std::fprintf(stderr, " us=%.0f\n", us);
      }
    }
    r.passes = stages.size();
    r.gates = gates.size();
    r.fused_ops = steps.size();
    Rng rng(c_.seed);
    const bool terminal = prefix_end_ == c_.ops.size();
    if (terminal) {
      if (c_.shots > 0) {
        std::vector<double> u(c_.shots);
        for (double& x : u) x = rng.Uniform();
        std::sort(u.begin(), u.end());
        Bits zero(c_.clbits);
        for (uint64_t i : SampleSorted(pool_, *prefix, u)) ++r.counts[term.Outcome(term.Index(i), zero)];
      }
      if (c_.probabilities) {
        r.has_distribution = true;
        r.method = "terminal";
        r.distribution = StateDistribution(pool_, *prefix, term, c_.clbits);
      }
    } else {
      uint64_t rest_gates = 0;
      if (c_.shots > 0) {
        State work(c_.qubits, c_.precision);
        for (uint64_t shot = 0; shot < c_.shots; ++shot) {
          CopyState(pool_, *prefix, work);
          Bits bits(c_.clbits);
          uint64_t g = Trajectory(work, &bits, &rng);
          if (shot == 0) rest_gates = g;
          std::vector<double> u{rng.Uniform()};
          ++r.counts[term.Outcome(term.Index(SampleSorted(pool_, work, u)[0]), bits)];
        }
      }
      if (c_.probabilities) {
        r.has_distribution = true;
        r.method = "branches";
        uint64_t g = 0;
        r.distribution = Branches(std::move(prefix), term, &g);
        if (c_.shots == 0) rest_gates = g;
      }
      r.gates += rest_gates;
      r.fused_ops += rest_gates;
      r.passes += rest_gates;
    }
    r.apply_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
  }

 private:
  // One shot from the first non-deferrable op on; returns the gates applied.
  uint64_t Trajectory(State& s, Bits* bits, Rng* rng) {
    uint64_t gates = 0;
    for (size_t k = prefix_end_; k < c_.ops.size(); ++k) {
      const Op& op = c_.ops[k];
      if (deferrable_[k]) continue;
      if (op.conditional() && !CondHolds(op, *bits)) continue;
      if (IsUnitary(op)) {
        ApplyUnitary(pool_, s, op);
        ++gates;
        continue;
      }
      double p0, p1;
      QubitProbabilities(pool_, s, op.q[0], &p0, &p1);
      int outcome = rng->Uniform() * (p0 + p1) >= p0 ? 1 : 0;
      Collapse(pool_, s, op.q[0], outcome, outcome ? p1 : p0, op.kind == OpKind::kReset);
      if (op.kind == OpKind::kMeasure) bits->Set(op.clbit, outcome);
    }
    return gates;
  }

  struct Branch {
    std::unique_ptr<State> state;
    Bits bits;
    double prob;
  };

  // Exact distribution of a circuit with mid-circuit measurement: every
  // measurement outcome that can happen becomes its own branch.
  Distribution Branches(std::unique_ptr<State> first, const Terminal& term, uint64_t* gates) {
    // A branch costs its state (gaps included) rounded up to whole pages (mmap never gives
    // less than one) plus its bookkeeping: counting the amplitudes alone
    // let a one-qubit circuit grow millions of branches past any memory.
    constexpr uint64_t kPageBytes = 4096, kBranchOverheadBytes = 512;
    const uint64_t per_branch = (State::MappedBytesFor(c_.qubits, c_.precision) + kPageBytes - 1) / kPageBytes * kPageBytes + kBranchOverheadBytes;
    const uint64_t cap = std::max<uint64_t>(1, branch_memory_ / per_branch);
    const double min_p = MinProbability(c_.precision == Precision::kSingle);
    std::vector<Branch> live;
    live.push_back({std::move(first), Bits(c_.clbits), 1.0});
    for (size_t k = prefix_end_; k < c_.ops.size(); ++k) {
      const Op& op = c_.ops[k];
      if (deferrable_[k]) continue;
      bool applied = false;
      std::vector<Branch> born;
      for (Branch& b : live) {
        if (op.conditional() && !CondHolds(op, b.bits)) continue;
        applied = true;
        if (IsUnitary(op)) {
          ApplyUnitary(pool_, *b.state, op);
          continue;
        }
        double p0, p1;
        QubitProbabilities(pool_, *b.state, op.q[0], &p0, &p1);
        double total = p0 + p1;
        double w0 = b.prob * p0 / total, w1 = b.prob * p1 / total;
        bool reset = op.kind == OpKind::kReset;
        if (w0 > min_p && w1 > min_p) {
          if (live.size() + born.size() + 1 > cap) {
            throw InputError("probabilities for this circuit need more than " + std::to_string(cap) +
                                 " measurement branches",
                             "TOO_MANY_BRANCHES");
          }
          Branch one{std::make_unique<State>(c_.qubits, c_.precision), b.bits, w1};
          CopyState(pool_, *b.state, *one.state);
          Collapse(pool_, *one.state, op.q[0], 1, p1, reset);
          if (!reset) one.bits.Set(op.clbit, true);
          born.push_back(std::move(one));
          Collapse(pool_, *b.state, op.q[0], 0, p0, reset);
          b.prob = w0;
          if (!reset) b.bits.Set(op.clbit, false);
        } else {
          int outcome = w1 > w0 ? 1 : 0;
          Collapse(pool_, *b.state, op.q[0], outcome, outcome ? p1 : p0, reset);
          b.prob = outcome ? w1 : w0;
          if (!reset) b.bits.Set(op.clbit, outcome);
        }
      }
      if (applied && IsUnitary(op)) ++*gates;
      for (Branch& b : born) live.push_back(std::move(b));
      live.erase(std::remove_if(live.begin(), live.end(), [min_p](const Branch& b) { return !(b.prob > min_p); }),
                 live.end());
    }
    std::map<Bits, double> acc;
    for (const Branch& b : live) AccumulateOutcomes(pool_, *b.state, term, b.bits, b.prob, &acc);
    return MapDistribution(acc, c_.clbits, min_p);
  }

  const Circuit& c_;
  Pool& pool_;
  uint64_t branch_memory_;
  std::vector<bool> deferrable_;
  std::vector<std::pair<int, int>> deferred_;  // (qubit, clbit) in program order
  // The first op that is neither a gate nor a deferrable measure (a
  // mid-circuit measure, a reset or a condition); ops.size() if none.
  size_t prefix_end_;
};

}  // namespace

RunResult RunCircuit(const Circuit& c, Pool& pool, uint64_t branch_memory_bytes) {
  Runner r(c, pool, branch_memory_bytes);
  return r.Run();
}

}  // namespace z3bra
