// SPDX-License-Identifier: Apache-2.0
#include "analyse.h"

#include <algorithm>
#include <cmath>

#include "kernels.h"

namespace z3bra {
namespace {

struct Ranked {
  double key;  // Round12(p)
  double p;
  uint64_t j;
};

// Higher rounded probability first, then the lower outcome integer.
bool Better(const Ranked& a, const Ranked& b) { return a.key > b.key || (a.key == b.key && a.j < b.j); }

// A bounded heap of the best kTopOutcomes, worst at the front.
class TopHeap {
 public:
  void Offer(double p, uint64_t j) {
    if (h_.size() == kTopOutcomes) {
      // Rounding to 12 digits moves p by under 5e-12 of itself, so a p this
      // far below the worst kept one cannot outrank it; this skips the
      // logarithm for nearly every amplitude of a large state.
      if (p < h_.front().p * (1 - 1e-10)) return;
    }
    Ranked r{Key(p), p, j};
    if (h_.size() < kTopOutcomes) {
      h_.push_back(r);
      std::push_heap(h_.begin(), h_.end(), Better);
    } else if (Better(r, h_.front())) {
      std::pop_heap(h_.begin(), h_.end(), Better);
      h_.back() = r;
      std::push_heap(h_.begin(), h_.end(), Better);
    }
  }
  const std::vector<Ranked>& items() const { return h_; }

 private:
  // Round12 with its power of ten kept while p stays well inside one
  // decade: a near-uniform state offers every amplitude, and the logarithm
  // would otherwise dominate the pass. Near a decade's edge it defers to
  // Round12, so the key is the same function of p either way.
  double Key(double p) {
    if (!(p > lo_ && p < hi_)) {
      int e = static_cast<int>(std::floor(std::log10(p)));
      scale_ = std::pow(10.0, 11 - e);
      lo_ = std::pow(10.0, e) * (1 + 1e-12);
      hi_ = std::pow(10.0, e + 1) * (1 - 1e-12);
      if (!(p > lo_ && p < hi_)) return Round12(p);
    }
    return std::nearbyint(p * scale_) / scale_;
  }

  std::vector<Ranked> h_;
  double lo_ = 0, hi_ = 0, scale_ = 1;
};

// One pass over outcome probabilities P(j), j < 2^m, in fixed chunks: the
// count above min_p, per-bit marginals and the top outcomes; then the full
// list when it is short.
template <class P>
Distribution Analyse(Pool& pool, int m, P prob, const Terminal& t, int clbits, double min_p) {
  const uint64_t n = uint64_t{1} << m;
  // Chunks of kChunk outcomes, or longer ones when the per-chunk marginal
  // sums (chunks * m doubles) would pass 16 MiB: the memory beside the state
  // stays bounded at 30 qubits and more. The chunking depends on m only, so
  // sums keep one order whatever the thread count.
  uint64_t len = std::min(n, kChunk);
  while ((n / len) * static_cast<uint64_t>(m) * sizeof(double) > (uint64_t{16} << 20)) len *= 2;
  const uint64_t chunks = n / len;
  int low_bits = 0;
  while ((uint64_t{1} << low_bits) < len) ++low_bits;

  std::vector<uint64_t> count(chunks);
  std::vector<double> bitsum(chunks * static_cast<uint64_t>(m));
  std::vector<TopHeap> heaps(pool.size());
  pool.Run(chunks, [&](uint64_t cb, uint64_t ce, int w) {
    std::vector<double> buf(len);
    for (uint64_t c = cb; c < ce; ++c) {
      uint64_t cnt = 0;
      for (uint64_t k = 0; k < len; ++k) {
        double p = prob(c * len + k);
        buf[k] = p;
        if (p > min_p) {
          ++cnt;
          heaps[w].Offer(p, c * len + k);
        }
      }
      count[c] = cnt;
      // Bits inside the chunk: sum the odd half, then fold pairs, a level
      // per bit. The order of additions is fixed, whoever runs the chunk.
      double* bs = bitsum.data() + c * m;
      uint64_t width = len;
      for (int b = 0; b < low_bits; ++b) {
        double odd = 0;
        for (uint64_t k = 1; k < width; k += 2) odd += buf[k];
        bs[b] = odd;
        for (uint64_t k = 0; k < width / 2; ++k) buf[k] = buf[2 * k] + buf[2 * k + 1];
        width /= 2;
      }
      for (int b = low_bits; b < m; ++b) bs[b] = ((c * len) >> b) & 1 ? buf[0] : 0.0;
    }
  });

  Distribution d;
  for (uint64_t c = 0; c < chunks; ++c) d.outcomes += count[c];
  Bits zero(clbits);
  if (d.outcomes <= kMaxListedOutcomes) {
    for (uint64_t c = 0; c < chunks; ++c) {
      if (count[c] == 0) continue;
      for (uint64_t k = 0; k < len; ++k) {
        double p = prob(c * len + k);
        if (p > min_p) d.all.emplace_back(t.Outcome(c * len + k, zero), p);
      }
    }
    return d;
  }
  std::vector<Ranked> cand;
  for (auto& h : heaps) cand.insert(cand.end(), h.items().begin(), h.items().end());
  std::sort(cand.begin(), cand.end(), Better);
  if (cand.size() > kTopOutcomes) cand.resize(kTopOutcomes);
  for (const Ranked& r : cand) d.top.emplace_back(t.Outcome(r.j, zero), r.p);
  std::vector<double> marg(m, 0.0);
  for (uint64_t c = 0; c < chunks; ++c) {
    for (int b = 0; b < m; ++b) marg[b] += bitsum[c * m + b];
  }
  d.bit_one.assign(clbits, 0.0);
  for (int c = 0; c < clbits; ++c) {
    if (t.src[c] >= 0) d.bit_one[c] = marg[t.rank[c]];
  }
  return d;
}

// P(j) for every outcome index: the sum of |a|^2 over the basis states that
// agree with j on the measured qubits, gathered (not scattered) so that the
// workers never write the same slot and the sums keep a fixed order.
template <class T>
std::vector<double> MarginalT(Pool& pool, const State& s, const Terminal& t) {
  const int m = t.m();
  const int bytes = (m + 7) / 8;
  std::vector<uint64_t> deposit(static_cast<size_t>(bytes) * 256, 0);
  for (int by = 0; by < bytes; ++by) {
    for (int v = 0; v < 256; ++v) {
      uint64_t d = 0;
      for (int k = 0; k < 8 && by * 8 + k < m; ++k) {
        if ((v >> k) & 1) d |= uint64_t{1} << t.order[by * 8 + k];
      }
      deposit[by * 256 + v] = d;
    }
  }
  uint64_t measured = 0;
  for (int q : t.order) measured |= uint64_t{1} << q;
  const uint64_t rest = (s.dim() - 1) & ~measured;
  const T* a = s.data<T>();
  std::vector<double> out(uint64_t{1} << m);
  pool.Run(
      out.size(),
      [&](uint64_t b, uint64_t e, int) {
        for (uint64_t j = b; j < e; ++j) {
          uint64_t base = 0;
          for (int by = 0; by < bytes; ++by) base |= deposit[by * 256 + ((j >> (8 * by)) & 255)];
          double sum = 0;
          uint64_t sub = 0;
          do {
            const uint64_t i = s.Phys(base | sub);
            double re = a[2 * i], im = a[2 * i + 1];
            sum += re * re + im * im;
            sub = (sub - rest) & rest;  // next subset of the unmeasured qubits
          } while (sub != 0);
          out[j] = sum;
        }
      },
      64);
  return out;
}

std::vector<double> Marginal(Pool& pool, const State& s, const Terminal& t) {
  return s.single() ? MarginalT<float>(pool, s, t) : MarginalT<double>(pool, s, t);
}

bool Direct(const Terminal& t, int n) {
  if (t.m() != n) return false;
  for (int k = 0; k < n; ++k) {
    if (t.order[k] != k) return false;
  }
  return true;
}

}  // namespace

Terminal::Terminal(const std::vector<std::pair<int, int>>& measures, int clbits) : src(clbits, -1), rank(clbits, -1) {
  for (const auto& qc : measures) src[qc.second] = qc.first;  // a later measure overwrites
  std::vector<int> top_clbit;  // per entry of order
  for (int c = 0; c < clbits; ++c) {
    if (src[c] < 0) continue;
    auto it = std::find(order.begin(), order.end(), src[c]);
    if (it == order.end()) {
      order.push_back(src[c]);
      top_clbit.push_back(c);
    } else {
      top_clbit[it - order.begin()] = c;
    }
  }
  std::vector<size_t> idx(order.size());
  for (size_t k = 0; k < idx.size(); ++k) idx[k] = k;
  std::sort(idx.begin(), idx.end(), [&](size_t x, size_t y) { return top_clbit[x] < top_clbit[y]; });
  std::vector<int> sorted;
  for (size_t k : idx) sorted.push_back(order[k]);
  order = sorted;
  for (int c = 0; c < clbits; ++c) {
    if (src[c] >= 0) rank[c] = static_cast<int>(std::find(order.begin(), order.end(), src[c]) - order.begin());
  }
}

Bits Terminal::Outcome(uint64_t j, const Bits& base) const {
  Bits b = base;
  for (size_t c = 0; c < src.size(); ++c) {
    if (src[c] >= 0) b.Set(static_cast<int>(c), (j >> rank[c]) & 1);
  }
  return b;
}

uint64_t Terminal::Index(uint64_t i) const {
  uint64_t j = 0;
  for (int k = 0; k < m(); ++k) j |= ((i >> order[k]) & 1) << k;
  return j;
}

double Round12(double p) {
  if (!(p > 0)) return 0;
  int e = static_cast<int>(std::floor(std::log10(p)));
  double scale = std::pow(10.0, 11 - e);
  return std::nearbyint(p * scale) / scale;
}

Distribution StateDistribution(Pool& pool, const State& s, const Terminal& t, int clbits) {
  if (Direct(t, s.qubits())) {
    auto direct = [&](auto* a) {
      return Analyse(
          pool, t.m(),
          [a, &s](uint64_t j) {
            const uint64_t i = s.Phys(j);
            double re = a[2 * i], im = a[2 * i + 1];
            return re * re + im * im;
          },
          t, clbits, MinProbability(s.single()));
    };
    return s.single() ? direct(s.data<float>()) : direct(s.data<double>());
  }
  std::vector<double> marg = Marginal(pool, s, t);
  const double* mp = marg.data();
  return Analyse(pool, t.m(), [mp](uint64_t j) { return mp[j]; }, t, clbits, MinProbability(s.single()));
}

void AccumulateOutcomes(Pool& pool, const State& s, const Terminal& t, const Bits& base, double prob,
                        std::map<Bits, double>* acc) {
  std::vector<double> marg = Marginal(pool, s, t);
  for (uint64_t j = 0; j < marg.size(); ++j) {
    double p = prob * marg[j];
    if (p > 0) (*acc)[t.Outcome(j, base)] += p;
  }
}

Distribution MapDistribution(const std::map<Bits, double>& acc, int clbits, double min_p) {
  Distribution d;
  std::vector<std::pair<Bits, double>> kept;
  for (const auto& kv : acc) {
    if (kv.second > min_p) kept.push_back(kv);
  }
  d.outcomes = kept.size();
  if (d.outcomes <= kMaxListedOutcomes) {
    d.all = std::move(kept);
    return d;
  }
  d.bit_one.assign(clbits, 0.0);
  std::vector<Ranked> cand;
  for (size_t k = 0; k < kept.size(); ++k) {
    for (int c = 0; c < clbits; ++c) {
      if (kept[k].first.Get(c)) d.bit_one[c] += kept[k].second;
    }
    cand.push_back({Round12(kept[k].second), kept[k].second, k});  // map order is integer order
  }
  std::partial_sort(cand.begin(), cand.begin() + kTopOutcomes, cand.end(), Better);
  for (size_t k = 0; k < kTopOutcomes; ++k) d.top.push_back(kept[cand[k].j]);
  return d;
}

}  // namespace z3bra
