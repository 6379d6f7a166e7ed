// SPDX-License-Identifier: Apache-2.0
// Kernel timing for bench/sim-kernels.ts: one gate kind on one state, with
// the same pinned pool a job would get, beside the in-place bandwidth pass
// that bounds every gate from below.
#include "bench.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "build-info.h"
#include "circuit.h"
#include "host.h"
#include "json.h"
#include "kernels.h"
#include "pool.h"
#include "state.h"

namespace z3bra {

int RunBench(int argc, char** argv) {
  int qubits = 20, threads = 0, target = 0, target2 = -1, reps = 10;
  std::string gate = "1q";
  for (int k = 1; k < argc; ++k) {
    std::string a = argv[k];
    if (k + 1 >= argc) throw InputError("bench: missing value after " + a);
    std::string v = argv[++k];
    if (a == "--qubits") qubits = std::atoi(v.c_str());
    else if (a == "--threads") threads = std::atoi(v.c_str());
    else if (a == "--gate") gate = v;
    else if (a == "--target") target = std::atoi(v.c_str());
    else if (a == "--target2") target2 = std::atoi(v.c_str());
    else if (a == "--reps") reps = std::atoi(v.c_str());
    else throw InputError("bench: unknown option " + a);
  }
  if (qubits < 2 || qubits > 40) throw InputError("bench: --qubits must be 2..40");
  if (target2 < 0) target2 = target == qubits - 1 ? 0 : qubits - 1;
  if (target < 0 || target >= qubits || target2 >= qubits || target2 == target) {
    throw InputError("bench: targets must be distinct qubits below --qubits");
  }
  if (gate != "1q" && gate != "2q" && gate != "bandwidth") throw InputError("bench: --gate must be 1q, 2q or bandwidth");
  if (reps < 1) reps = 1;

  // A bench always uses the threads asked for, even on small states.
  std::vector<int> cpus = AffinityCpus();
  if (threads > 0 && static_cast<size_t>(threads) < cpus.size()) cpus.resize(threads);
  Pool pool(cpus);
  State s(qubits);
  InitZero(pool, s);
  const double h = 1 / std::sqrt(2.0);
  // Dense on purpose (no zero or unit entries), so that no special case runs.
  const double m1[8] = {h, 0, 0, -h, 0, -h, h, 0};
  double m2[32];
  for (int r = 0; r < 4; ++r) {
    for (int c = 0; c < 4; ++c) {
      double phase = 2 * M_PI * r * c / 4;
      m2[8 * r + 2 * c] = 0.5 * std::cos(phase);
      m2[8 * r + 2 * c + 1] = 0.5 * std::sin(phase);
    }
  }
  const double unit_re = std::cos(1e-3), unit_im = std::sin(1e-3);
  auto op = [&] {
    if (gate == "1q") ApplyU(pool, s, target, {}, m1);
    else if (gate == "2q") ApplyU2(pool, s, target, target2, m2);
    else Scale(pool, s, unit_re, unit_im);
  };
  op();  // warm-up: page faults and the huge-page promotion are not the kernel
  auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < reps; ++r) op();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps;

  uint64_t bytes = State::BytesFor(qubits);
  std::string out = "{\"qubits\":" + std::to_string(qubits) + ",\"threads\":" + std::to_string(pool.size()) +
                    ",\"thread_cpus\":";
  JsonInts(&out, pool.cpus());
  out += ",\"gate\":\"" + gate + "\",\"target\":" + std::to_string(target);
  if (gate == "2q") out += ",\"target2\":" + std::to_string(target2);
  out += ",\"reps\":" + std::to_string(reps) + ",\"state_bytes\":" + std::to_string(bytes) + ",\"seconds_per_op\":";
  JsonNumber(&out, secs);
  // Traffic of one in-place pass: every byte read once and written once.
  out += ",\"gb_per_s\":";
  JsonNumber(&out, 2.0 * static_cast<double>(bytes) / secs / 1e9);
  out += ",\"simd\":\"" + std::string(kSimd) + "\"}\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace z3bra
