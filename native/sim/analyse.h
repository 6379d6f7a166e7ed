// SPDX-License-Identifier: Apache-2.0
// The exact outcome distribution over the classical bits, in the shape of
// docs/runner-protocol.md: every outcome when there are few, else the top 64
// and each bit's marginal.
#ifndef Z3BRA_SIM_ANALYSE_H_
#define Z3BRA_SIM_ANALYSE_H_

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "bits.h"
#include "pool.h"
#include "state.h"

namespace z3bra {

// Outcomes and measurement branches at or below this probability are left
// out: rounding noise, not outcomes. Complex float carries about 7 digits,
// so an outcome that cannot happen can show ~1e-17 in single precision
// (bb84, 64 such outcomes beside its 32 real ones); 1e-12 stays far below
// the 1e-5 single precision promises, and above any outcome of a uniform
// state up to 39 qubits.
constexpr double kMinProbability = 1e-20;
constexpr double kMinProbabilitySingle = 1e-12;
inline double MinProbability(bool single) { return single ? kMinProbabilitySingle : kMinProbability; }
constexpr uint64_t kMaxListedOutcomes = 4096;
constexpr size_t kTopOutcomes = 64;

// Measurements deferred to the end of the circuit, resolved to what each
// classical bit finally holds.
struct Terminal {
  // Per global clbit: the qubit whose value it ends up holding, or -1.
  std::vector<int> src;
  // The measured qubits, ordered by the highest clbit each one feeds. An
  // outcome index j has bit k = the value of order[k]; with this order,
  // j's numeric order is the outcome integer's order.
  std::vector<int> order;
  // Per global clbit with src >= 0: the bit of j it copies.
  std::vector<int> rank;

  Terminal(const std::vector<std::pair<int, int>>& measures, int clbits);
  int m() const { return static_cast<int>(order.size()); }
  // The classical bits of outcome j, over `base` (the bits set before).
  Bits Outcome(uint64_t j, const Bits& base) const;
  // The outcome index of basis state i.
  uint64_t Index(uint64_t i) const;
};

struct Distribution {
  uint64_t outcomes = 0;
  // When outcomes <= kMaxListedOutcomes: all of them, in integer order.
  std::vector<std::pair<Bits, double>> all;
  // Otherwise: the kTopOutcomes most likely, ranked, and per global clbit the
  // probability that it reads 1.
  std::vector<std::pair<Bits, double>> top;
  std::vector<double> bit_one;
};

// The distribution of `t` measured on `s`, classical bits otherwise zero.
Distribution StateDistribution(Pool& pool, const State& s, const Terminal& t, int clbits);
// Adds prob * P(outcome) of `t` measured on `s` over `base` into `acc`.
void AccumulateOutcomes(Pool& pool, const State& s, const Terminal& t, const Bits& base, double prob,
                        std::map<Bits, double>* acc);
Distribution MapDistribution(const std::map<Bits, double>& acc, int clbits, double min_p);

// Probability rounded to 12 significant digits: the ranking key of `top`.
double Round12(double p);

}  // namespace z3bra

#endif  // Z3BRA_SIM_ANALYSE_H_
