// SPDX-License-Identifier: Apache-2.0
// One statevector: 2^n amplitudes in complex double, interleaved (re, im),
// qubit 0 the least significant bit of the index.
#ifndef Z3BRA_SIM_STATE_H_
#define Z3BRA_SIM_STATE_H_

#include <cstddef>
#include <cstdint>

namespace z3bra {

class Pool;

class State {
 public:
  // Reserves 16 * 2^n bytes (throws MemoryError when the kernel refuses);
  // no page is touched here, so the workers that first write it own it.
  explicit State(int n);
  ~State();
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  static uint64_t BytesFor(int n) { return uint64_t{16} << n; }

  int qubits() const { return n_; }
  uint64_t dim() const { return dim_; }
  double* data() { return a_; }
  const double* data() const { return a_; }

 private:
  int n_;
  uint64_t dim_;
  double* a_ = nullptr;
  void* map_ = nullptr;
  size_t map_bytes_ = 0;
};

}  // namespace z3bra

#endif  // Z3BRA_SIM_STATE_H_
