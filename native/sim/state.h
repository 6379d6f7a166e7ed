// SPDX-License-Identifier: Apache-2.0
// One statevector: 2^n amplitudes in complex double or, on request, complex
// float, interleaved (re, im), qubit 0 the least significant bit of the index.
#ifndef Z3BRA_SIM_STATE_H_
#define Z3BRA_SIM_STATE_H_

#include <cstddef>
#include <cstdint>

namespace z3bra {

class Pool;

enum class Precision { kDouble, kSingle };

inline const char* PrecisionName(Precision p) { return p == Precision::kSingle ? "single" : "double"; }

class State {
 public:
  // Reserves 16 * 2^n bytes (8 * 2^n in single precision; throws
  // MemoryError when the kernel refuses); no page is touched here, so the
  // workers that first write it own it.
  explicit State(int n, Precision p = Precision::kDouble);
  // A view of 2^n amplitudes the caller owns (a stage's per-thread buffer,
  // or a block of a larger state): nothing is mapped or freed here.
  State(int n, Precision p, void* data);
  ~State();
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  static uint64_t BytesFor(int n, Precision p = Precision::kDouble) {
    return (p == Precision::kSingle ? uint64_t{8} : uint64_t{16}) << n;
  }

  int qubits() const { return n_; }
  uint64_t dim() const { return dim_; }
  uint64_t bytes() const { return BytesFor(n_, precision_); }
  Precision precision() const { return precision_; }
  // True until the first InitZero: the mapping is fresh, its pages zero.
  bool fresh() const { return fresh_; }
  void set_written() { fresh_ = false; }
  bool single() const { return precision_ == Precision::kSingle; }
  // The amplitudes as T (double or float), which must match precision().
  template <class T>
  T* data() {
    return static_cast<T*>(a_);
  }
  template <class T>
  const T* data() const {
    return static_cast<const T*>(a_);
  }

 private:
  int n_;
  uint64_t dim_;
  Precision precision_;
  bool fresh_ = true;
  void* a_ = nullptr;
  void* map_ = nullptr;
  size_t map_bytes_ = 0;
};

}  // namespace z3bra

#endif  // Z3BRA_SIM_STATE_H_
