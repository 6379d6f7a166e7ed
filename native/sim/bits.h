// SPDX-License-Identifier: Apache-2.0
// A classical register file of any width (ising_n26 has 52 bits), compared
// by its integer value sum(bit_i * 2^i).
#ifndef Z3BRA_SIM_BITS_H_
#define Z3BRA_SIM_BITS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace z3bra {

struct Bits {
  std::vector<uint64_t> w;

  explicit Bits(int nbits = 0) : w((static_cast<size_t>(nbits) + 63) / 64, 0) {}

  bool Get(int i) const { return (w[i >> 6] >> (i & 63)) & 1; }
  void Set(int i, bool v) {
    uint64_t m = uint64_t{1} << (i & 63);
    w[i >> 6] = v ? (w[i >> 6] | m) : (w[i >> 6] & ~m);
  }
  // Integer order: the highest word decides first.
  bool operator<(const Bits& o) const {
    for (size_t k = w.size(); k-- > 0;) {
      if (w[k] != o.w[k]) return w[k] < o.w[k];
    }
    return false;
  }
  bool operator==(const Bits& o) const { return w == o.w; }
};

// splitmix64 seeding xoshiro256**: small, well studied, and the same stream
// on every standard library (std::mt19937's distributions are not).
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& s : s_) {
      seed += 0x9e3779b97f4a7c15ull;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      s = z ^ (z >> 31);
    }
  }
  uint64_t Next() {
    uint64_t r = Rotl(s_[1] * 5, 7) * 9;
    uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return r;
  }
  // Uniform in [0, 1) on the 53-bit grid.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace z3bra

#endif  // Z3BRA_SIM_BITS_H_
