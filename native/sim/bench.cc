// SPDX-License-Identifier: Apache-2.0
// Kernel timing for bench/sim-kernels.ts: one gate kind on one state, with
// the same pinned pool a job would get and through the same kernel choice
// as the runner (ApplyUnitary), beside the in-place bandwidth pass that
// bounds every gate from below.
#include "bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "build-info.h"
#include "circuit.h"
#include "dense.h"
#include "env.h"
#include "host.h"
#include "json.h"
#include "kernels.h"
#include "pool.h"
#include "run.h"
#include "state.h"

namespace z3bra {
namespace {

double Now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// Best (least) seconds of one call over `reps` calls.
template <class F>
double Best(int reps, F&& f) {
  double best = 1e300;
  for (int r = 0; r < reps; ++r) {
    double t0 = Now();
    f();
    best = std::min(best, Now() - t0);
  }
  return best;
}

Op DenseGate(int target, int target2) {
  Op op;
  if (target2 < 0) {
    // Dense on purpose (no zero or unit entries), so that no special case runs.
    const double h = 1 / std::sqrt(2.0);
    op.kind = OpKind::kU;
    op.q[0] = target;
    op.matrix = {h, 0, 0, -h, 0, -h, h, 0};
    return op;
  }
  op.kind = OpKind::kU2;
  op.q[0] = target;
  op.q[1] = target2;
  op.matrix.resize(32);
  for (int r = 0; r < 4; ++r) {
    for (int c = 0; c < 4; ++c) {
      double phase = 2 * M_PI * r * c / 4;
      op.matrix[8 * r + 2 * c] = 0.5 * std::cos(phase);
      op.matrix[8 * r + 2 * c + 1] = 0.5 * std::sin(phase);
    }
  }
  return op;
}

// A flag's value: a whole number from 0 to 1,000,000.
int ArgInt(const std::string& flag, const std::string& v) {
  int64_t x = 0;
  if (!ParseWhole(v.c_str(), 0, 1000000, &x)) {
    throw InputError("bench: " + flag + " " + v + ": expected a whole number from 0 to 1000000");
  }
  return static_cast<int>(x);
}

}  // namespace

int RunBench(int argc, char** argv) {
  int qubits = 20, threads = 0, target = 0, target2 = -1, reps = 10;
  bool sweep = false;
  Precision precision = Precision::kDouble;
  std::string gate = "1q";
  for (int k = 1; k < argc; ++k) {
    std::string a = argv[k];
    if (a == "--sweep") {
      sweep = true;
      continue;
    }
    if (k + 1 >= argc) throw InputError("bench: missing value after " + a);
    std::string v = argv[++k];
    if (a == "--qubits") qubits = ArgInt(a, v);
    else if (a == "--threads") threads = ArgInt(a, v);
    else if (a == "--gate") gate = v;
    else if (a == "--target") target = ArgInt(a, v);
    else if (a == "--target2") target2 = ArgInt(a, v);
    else if (a == "--reps") reps = ArgInt(a, v);
    else if (a == "--precision" && (v == "single" || v == "double")) precision = v == "single" ? Precision::kSingle : Precision::kDouble;
    else throw InputError("bench: unknown option " + a + " " + v);
  }
  if (qubits < 2 || qubits > 40) throw InputError("bench: --qubits must be 2..40");
  if (gate == "2q" && target2 < 0) target2 = target == qubits - 1 ? 0 : qubits - 1;
  if (target < 0 || target >= qubits || target2 >= qubits || target2 == target) {
    throw InputError("bench: targets must be distinct qubits below --qubits");
  }
  if (gate != "1q" && gate != "2q" && gate != "bandwidth") throw InputError("bench: --gate must be 1q, 2q or bandwidth");
  if (gate == "bandwidth" && sweep) throw InputError("bench: --sweep needs --gate 1q or 2q");
  if (reps < 1) reps = 1;

  // A bench always uses the threads asked for, even on small states.
  std::vector<int> cpus = AffinityCpus();
  if (threads > 0 && static_cast<size_t>(threads) < cpus.size()) cpus.resize(threads);
  Pool pool(cpus);
  State s(qubits, precision);
  InitZero(pool, s);
  const double unit_re = std::cos(1e-3), unit_im = std::sin(1e-3);
  auto probe = [&] { Scale(pool, s, unit_re, unit_im); };
  probe();  // warm-up: page faults and the huge-page promotion are not the kernel
  const uint64_t bytes = s.bytes();
  // Traffic of one in-place pass: every byte read once and written once.
  auto gbps = [&](double secs) { return 2.0 * static_cast<double>(bytes) / secs / 1e9; };

  std::string out = "{\"qubits\":" + std::to_string(qubits) + ",\"threads\":" + std::to_string(pool.size()) +
                    ",\"thread_cpus\":";
  JsonInts(&out, pool.cpus());
  out += ",\"precision\":\"" + std::string(PrecisionName(precision)) + "\",\"gate\":\"" + gate + "\"";
  out += ",\"reps\":" + std::to_string(reps) + ",\"state_bytes\":" + std::to_string(bytes);

  if (sweep) {
    // Every target (1q) or every adjacent pair plus {0, n-1} (2q), each
    // timed best-of-reps right after a best-of-reps bandwidth probe, so a
    // neighbour's burst of load hits both alike.
    std::vector<std::pair<int, int>> points;
    if (gate == "1q") {
      for (int q = 0; q < qubits; ++q) points.emplace_back(q, -1);
    } else {
      for (int q = 0; q + 1 < qubits; ++q) points.emplace_back(q, q + 1);
      points.emplace_back(0, qubits - 1);
    }
    out += ",\"points\":[";
    for (size_t p = 0; p < points.size(); ++p) {
      Op op = DenseGate(points[p].first, points[p].second);
      ApplyUnitary(pool, s, op);
      double floor = Best(reps, probe);
      double secs = Best(reps, [&] { ApplyUnitary(pool, s, op); });
      if (p) out += ",";
      out += "{\"target\":" + std::to_string(points[p].first);
      if (points[p].second >= 0) out += ",\"target2\":" + std::to_string(points[p].second);
      out += ",\"seconds_per_op\":";
      JsonNumber(&out, secs);
      out += ",\"floor_pass_seconds\":";
      JsonNumber(&out, floor);
      out += ",\"floor_passes\":";
      JsonNumber(&out, secs / floor);
      out += "}";
    }
    out += "]";
  } else {
    double secs;
    if (gate == "bandwidth") {
      secs = Best(reps, probe);
    } else {
      Op op = DenseGate(target, gate == "2q" ? target2 : -1);
      ApplyUnitary(pool, s, op);
      secs = Best(reps, [&] { ApplyUnitary(pool, s, op); });
    }
    out += ",\"target\":" + std::to_string(target);
    if (gate == "2q") out += ",\"target2\":" + std::to_string(target2);
    out += ",\"seconds_per_op\":";
    JsonNumber(&out, secs);
    out += ",\"gb_per_s\":";
    JsonNumber(&out, gbps(secs));
  }
  out += ",\"simd\":\"" + std::string(ActiveKernels().name) + "\"}\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace z3bra
