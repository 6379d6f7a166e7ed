// SPDX-License-Identifier: Apache-2.0
#include "pool.h"

#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

namespace z3bra {
namespace {

// Spin this many rounds before sleeping in the kernel. A gate on 2^14+
// amplitudes takes tens of microseconds, so the next one usually arrives
// while a worker still spins; a futex sleep only pays off across the long
// pauses (sampling, output) where spinning would burn a pinned core.
constexpr int kSpinRounds = 1 << 14;

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

void FutexWait(std::atomic<uint32_t>* word, uint32_t expected) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
}

void FutexWakeAll(std::atomic<uint32_t>* word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE_PRIVATE, INT32_MAX, nullptr, nullptr, 0);
}

}  // namespace

bool PinThisThread(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

Pool::Pool(const std::vector<int>& cpus) : cpus_(cpus) {
  if (cpus_.empty()) cpus_.push_back(0);
  PinThisThread(cpus_[0]);
  for (int w = 1; w < size(); ++w) threads_.emplace_back([this, w] { Worker(w); });
}

Pool::Pool(Inline) : cpus_{-1} {}

Pool::~Pool() {
  stop_.store(true, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  FutexWakeAll(&generation_);
  for (auto& t : threads_) t.join();
}

void Pool::Slice(uint64_t n, uint64_t grain, int w, uint64_t* b, uint64_t* e) const {
  uint64_t units = (n + grain - 1) / grain;
  uint64_t t = static_cast<uint64_t>(size());
  uint64_t per = units / t, extra = units % t;
  uint64_t uw = static_cast<uint64_t>(w);
  uint64_t ub = uw * per + std::min(uw, extra);
  uint64_t ue = ub + per + (uw < extra ? 1 : 0);
  *b = std::min(n, ub * grain);
  *e = std::min(n, ue * grain);
}

void Pool::Dispatch(uint64_t n, uint64_t grain, Fn fn, void* ctx) {
  fn_ = fn;
  ctx_ = ctx;
  n_ = n;
  grain_ = grain;
  pending_.store(size() - 1, std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) != 0) FutexWakeAll(&generation_);
  uint64_t b, e;
  Slice(n, grain, 0, &b, &e);
  if (b < e) fn(ctx, b, e, 0);
  while (pending_.load(std::memory_order_acquire) != 0) CpuRelax();
}

void Pool::Worker(int w) {
  PinThisThread(cpus_[w]);
  // Generation 0 is "no job yet": the first job may be announced before
  // this thread gets here, and must not be mistaken for the starting point.
  uint32_t seen = 0;
  for (;;) {
    uint32_t now;
    int spins = 0;
    while ((now = generation_.load(std::memory_order_acquire)) == seen) {
      if (++spins < kSpinRounds) {
        CpuRelax();
      } else {
        sleepers_.fetch_add(1, std::memory_order_seq_cst);
        FutexWait(&generation_, seen);
        sleepers_.fetch_sub(1, std::memory_order_seq_cst);
      }
    }
    seen = now;
    if (stop_.load(std::memory_order_acquire)) return;
    uint64_t b, e;
    Slice(n_, grain_, w, &b, &e);
    if (b < e) fn_(ctx_, b, e, w);
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

}  // namespace z3bra
