// SPDX-License-Identifier: Apache-2.0
// A fixed pool of pinned worker threads that splits one index range per call.
// The calling thread is worker 0, so a pool of one thread costs nothing and a
// run of T threads wakes only T-1 others.
#ifndef Z3BRA_SIM_POOL_H_
#define Z3BRA_SIM_POOL_H_

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace z3bra {

class Pool {
 public:
  // One worker per entry of cpus; worker i is pinned to cpus[i]. The caller
  // is pinned to cpus[0].
  explicit Pool(const std::vector<int>& cpus);
  // A pool of the calling thread alone, neither pinned nor re-pinned: what
  // a worker hands the kernels it runs on its own stage buffer.
  struct Inline {};
  explicit Pool(Inline);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  int size() const { return static_cast<int>(cpus_.size()); }
  const std::vector<int>& cpus() const { return cpus_; }

  // Calls f(begin, end, worker) on T contiguous slices of [0, n), one per
  // worker, and returns when all are done. Slices are aligned to `grain` so
  // that kernels see whole runs.
  template <class F>
  void Run(uint64_t n, F&& f, uint64_t grain = 1) {
    if (size() == 1 || n <= grain) {
      f(uint64_t{0}, n, 0);
      return;
    }
    auto trampoline = [](void* ctx, uint64_t b, uint64_t e, int w) { (*static_cast<F*>(ctx))(b, e, w); };
    Dispatch(n, grain, trampoline, &f);
  }

  // The slice of [0, n) that worker w gets.
  void Slice(uint64_t n, uint64_t grain, int w, uint64_t* b, uint64_t* e) const;

 private:
  using Fn = void (*)(void*, uint64_t, uint64_t, int);
  void Dispatch(uint64_t n, uint64_t grain, Fn fn, void* ctx);
  void Worker(int w);

  std::vector<int> cpus_;
  std::vector<std::thread> threads_;
  // The job being run: written by the caller before generation_ is bumped.
  Fn fn_ = nullptr;
  void* ctx_ = nullptr;
  uint64_t n_ = 0;
  uint64_t grain_ = 1;
  // Bumped once per job (futex word); workers wait for it to change.
  alignas(64) std::atomic<uint32_t> generation_{0};
  // Workers still running the current job; the caller waits for zero.
  alignas(64) std::atomic<int> pending_{0};
  // Workers asleep (or about to sleep) in FUTEX_WAIT: a job is announced
  // with a wake-up syscall only when some worker may need it.
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
};

// Pins the calling thread to one CPU; false if the kernel refused.
bool PinThisThread(int cpu);

}  // namespace z3bra

#endif  // Z3BRA_SIM_POOL_H_
