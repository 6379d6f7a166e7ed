// SPDX-License-Identifier: Apache-2.0
// One statevector: 2^n amplitudes in complex double or, on request, complex
// float, interleaved (re, im), qubit 0 the least significant bit of the index.
//
// Layout. A state larger than one segment (256 MiB) is laid out as
// segments of 2^segment_qubits() amplitudes with a gap of 256 KiB after
// each: amplitude i lies at Phys(i) = i + (i >> segment_qubits) * gap. A
// gate on a qubit at or above the segment pairs amplitudes that are then
// 256 MiB + 256 KiB (or a multiple) apart instead of an exact multiple of
// 256 MiB; on the machines we measured, two streams an exact multiple of
// 256 MiB apart ran at a fifth of the memory bandwidth (native/README.md,
// "Layout"). Phys is additive over disjoint bits, so an index's run base
// and a gate's offsets map separately; a run never crosses a segment.
#ifndef Z3BRA_SIM_STATE_H_
#define Z3BRA_SIM_STATE_H_

#include <algorithm>
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
  // The segment size (log2, in amplitudes) a new state of n qubits gets:
  // 256 MiB, or Z3BRA_SIM_SEGMENT_QUBITS (0: one plain segment; values
  // below 12 read as 12, so a segment holds whole sampling chunks);
  // kPlain when the state fits in one segment.
  static constexpr int kPlain = 63;
  static int SegmentQubitsFor(int n, Precision p);
  // Bytes a new state of n qubits maps: its amplitudes and the gaps
  // between its segments.
  static uint64_t MappedBytesFor(int n, Precision p) {
    const int seg = SegmentQubitsFor(n, p);
    const uint64_t gaps = seg == kPlain ? 0 : ((uint64_t{1} << (n - seg)) - 1) * GapFor(p);
    return BytesFor(n, p) + (BytesFor(n, p) >> n) * gaps;
  }
  // The gap after each segment, in amplitudes: 256 KiB, or
  // Z3BRA_SIM_SEGMENT_GAP bytes rounded down to whole cache lines.
  static uint64_t GapFor(Precision p);

  int qubits() const { return n_; }
  uint64_t dim() const { return dim_; }
  uint64_t bytes() const { return BytesFor(n_, precision_); }
  Precision precision() const { return precision_; }
  // True until the first InitZero: the mapping is fresh, its pages zero.
  bool fresh() const { return fresh_; }
  void set_written() { fresh_ = false; }
  bool single() const { return precision_ == Precision::kSingle; }
  // log2 of the amplitudes per segment; kPlain (63) for a plain layout.
  int segment_qubits() const { return seg_; }
  // Where amplitude i lies, in amplitudes from data().
  uint64_t Phys(uint64_t i) const { return i + (i >> seg_) * gap_; }
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
  int seg_ = kPlain;
  uint64_t gap_ = 0;
  Precision precision_;
  bool fresh_ = true;
  void* a_ = nullptr;
  void* map_ = nullptr;
  size_t map_bytes_ = 0;
};

// Calls f(b', e') on the pieces of [b, e) that each lie inside one aligned
// block of 2^bits (bits >= 63: the whole range).
template <class F>
inline void SplitAligned(uint64_t b, uint64_t e, int bits, F&& f) {
  if (bits >= 63) {
    if (b < e) f(b, e);
    return;
  }
  while (b < e) {
    const uint64_t stop = std::min(e, ((b >> bits) + 1) << bits);
    f(b, stop);
    b = stop;
  }
}

}  // namespace z3bra

#endif  // Z3BRA_SIM_STATE_H_
