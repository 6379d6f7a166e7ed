// SPDX-License-Identifier: Apache-2.0
#include "state.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "circuit.h"
#include "env.h"

namespace z3bra {
namespace {

constexpr size_t kHugePageBytes = size_t{2} << 20;

// MemAvailable in bytes, or 0 when unknown. Linux overcommits anonymous
// maps, so a state larger than this would map fine and then bring the OOM
// killer on first touch; refusing it up front gives the caller an answer.
uint64_t AvailableBytes() {
  FILE* f = std::fopen("/proc/meminfo", "r");
  if (f == nullptr) return 0;
  char line[256];
  unsigned long long kb = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::sscanf(line, "MemAvailable: %llu kB", &kb) == 1) break;
  }
  std::fclose(f);
  return static_cast<uint64_t>(kb) * 1024;
}

}  // namespace

int State::SegmentQubitsFor(int n, Precision p) {
  static const int env = [] {
    const int64_t v = EnvInt("Z3BRA_SIM_SEGMENT_QUBITS", -1, 0, 40);
    if (v > 0 && v < 12) {
      throw EnvError("Z3BRA_SIM_SEGMENT_QUBITS=" + std::to_string(v) + ": expected 0 (the plain layout) or 12 to 40");
    }
    return static_cast<int>(v);
  }();
  int seg = p == Precision::kSingle ? 25 : 24;  // 256 MiB
  if (env == 0) return kPlain;
  if (env > 0) seg = env;
  return n > seg ? seg : kPlain;
}

uint64_t State::GapFor(Precision p) {
  // Z3BRA_SIM_SEGMENT_GAP in bytes, rounded down to whole cache lines so
  // that every segment starts on one (at most 1 GiB).
  static const uint64_t bytes = [] {
    const int64_t b = EnvInt("Z3BRA_SIM_SEGMENT_GAP", int64_t{256} << 10, 0, int64_t{1} << 30);
    return static_cast<uint64_t>(b) / 64 * 64;
  }();
  return bytes / (p == Precision::kSingle ? 8 : 16);
}

State::State(int n, Precision precision) : n_(n), dim_(uint64_t{1} << n), precision_(precision) {
  if (n > 59) {
    throw MemoryError("a statevector of " + std::to_string(n) + " qubits needs 2^" + std::to_string(n + 4) + " bytes");
  }
  seg_ = SegmentQubitsFor(n, precision);
  gap_ = seg_ == kPlain ? 0 : GapFor(precision);
  // The mapping spans every segment and the gaps between them.
  size_t bytes = MappedBytesFor(n, precision);
  const std::string need = "a statevector of " + std::to_string(n) + " qubits needs " +
                           std::to_string(BytesFor(n, precision)) + " bytes" +
                           (bytes > BytesFor(n, precision)
                                ? " (and " + std::to_string(bytes - BytesFor(n, precision)) + " of gaps between its segments)"
                                : std::string());
  uint64_t avail = AvailableBytes();
  if (avail != 0 && bytes > avail) {
    throw MemoryError(need + ", more than the " + std::to_string(avail) + " bytes available");
  }
  // States of 2 MiB and more are aligned to a huge page and asked to use
  // them: a gate on a high qubit strides across the whole vector, and 4 KiB
  // pages would make that a TLB miss per access. mmap returns zeroed,
  // untouched pages; the caller's first write places them.
  size_t align = bytes >= kHugePageBytes ? kHugePageBytes : 64;
  map_bytes_ = bytes + (align > 4096 ? align : 0);
  void* p = mmap(nullptr, map_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    map_ = nullptr;
    throw MemoryError(need + ", which the system refused");
  }
  map_ = p;
  uintptr_t base = reinterpret_cast<uintptr_t>(p);
  uintptr_t aligned = (base + align - 1) & ~(static_cast<uintptr_t>(align) - 1);
  a_ = reinterpret_cast<void*>(aligned);
  if (align == kHugePageBytes) madvise(a_, bytes, MADV_HUGEPAGE);
}

State::State(int n, Precision precision, void* data)
    : n_(n), dim_(uint64_t{1} << n), precision_(precision), fresh_(false), a_(data) {}

State::~State() {
  if (map_ != nullptr) munmap(map_, map_bytes_);
}

}  // namespace z3bra
