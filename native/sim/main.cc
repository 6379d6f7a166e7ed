// SPDX-License-Identifier: Apache-2.0
// z3bra-sim: reads one circuit on stdin (docs/runner-protocol.md), pins a
// worker per CPU of its affinity mask, simulates, writes one JSON document.
// `z3bra-sim bench ...` times single kernels instead (bench.cc).
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <iterator>
#include <new>
#include <string>

#include "bench.h"
#include "build-info.h"
#include "circuit.h"
#include "dense.h"
#include "env.h"
#include "host.h"
#include "json.h"
#include "pool.h"
#include "run.h"

namespace z3bra {
namespace {

constexpr uint64_t kDefaultBranchMemoryBytes = uint64_t{2} << 30;

int Fail(int exit_code, const std::string& code, const std::string& message) {
  std::string out = "{\"error\":{\"code\":";
  JsonString(&out, code);
  out += ",\"message\":";
  JsonString(&out, message);
  out += "}}\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  std::fprintf(stderr, "z3bra-sim: %s\n", message.c_str());
  return exit_code;
}

// The key of Qiskit's counts: registers last-declared first, separated by a
// space, highest bit first.
std::string Key(const Circuit& c, const Bits& b) {
  std::string k;
  for (size_t r = c.cregs.size(); r-- > 0;) {
    if (r + 1 != c.cregs.size()) k.push_back(' ');
    for (int j = c.cregs[r].size; j-- > 0;) k.push_back(b.Get(c.cregs[r].offset + j) ? '1' : '0');
  }
  return k;
}

void Outcomes(std::string* out, const Circuit& c, const std::vector<std::pair<Bits, double>>& v) {
  out->push_back('{');
  for (size_t k = 0; k < v.size(); ++k) {
    if (k) out->push_back(',');
    JsonString(out, Key(c, v[k].first));
    out->push_back(':');
    JsonNumber(out, v[k].second);
  }
  out->push_back('}');
}

std::string Document(const Circuit& c, const RunResult& r, const Pool& pool, const std::vector<int>& cpus,
                     const std::string& mems, double wall) {
  std::string out = "{";
  if (c.shots > 0) {
    out += "\"counts\":{";
    bool first = true;
    for (const auto& kv : r.counts) {
      if (!first) out.push_back(',');
      first = false;
      JsonString(&out, Key(c, kv.first));
      out.push_back(':');
      JsonNumber(&out, kv.second);
    }
    out += "},";
  }
  if (r.has_distribution) {
    const Distribution& d = r.distribution;
    out += "\"probabilities\":{\"qubits\":" + std::to_string(c.qubits) + ",\"clbits\":" + std::to_string(c.clbits) +
           ",\"key_format\":\"registers last-declared first, separated by a space; highest bit first\"" +
           ",\"method\":\"" + r.method + "\",\"outcomes\":" + std::to_string(d.outcomes);
    if (d.outcomes <= kMaxListedOutcomes) {
      out += ",\"probabilities\":";
      Outcomes(&out, c, d.all);
    } else {
      out += ",\"top\":";
      Outcomes(&out, c, d.top);
      out += ",\"bit_one_probability\":[";
      for (size_t k = 0; k < d.bit_one.size(); ++k) {
        if (k) out.push_back(',');
        JsonNumber(&out, d.bit_one[k]);
      }
      out += "]";
    }
    out += "},";
  }
  out += "\"stats\":{\"gates\":" + std::to_string(r.gates) + ",\"fused_ops\":" + std::to_string(r.fused_ops) +
         ",\"passes\":" + std::to_string(r.passes) +
         ",\"ops\":" + std::to_string(c.ops.size()) +
         ",\"apply_seconds\":";
  JsonNumber(&out, r.apply_seconds);
  out += ",\"init_seconds\":";
  JsonNumber(&out, r.init_seconds);
  out += ",\"wall_seconds\":";
  JsonNumber(&out, wall);
  out += ",\"peak_rss_bytes\":" + std::to_string(PeakRssBytes()) + ",\"threads\":" + std::to_string(pool.size()) +
         ",\"precision\":\"" + PrecisionName(c.precision) + "\"},\"cpus\":";
  JsonInts(&out, cpus);
  out += ",\"thread_cpus\":";
  JsonInts(&out, pool.cpus());
  out += ",\"mems\":";
  JsonString(&out, mems);
  out += ",\"build\":{\"simulator\":";
  JsonString(&out, kSimulatorVersion);
  out += ",\"compiler\":";
  JsonString(&out, kCompiler);
  out += ",\"flags\":";
  JsonString(&out, kBuildFlags);
  out += ",\"simd\":";
  JsonString(&out, ActiveKernels().name);
  out += "},\"seed\":\"" + std::to_string(c.seed) + "\"}\n";
  return out;
}

int RunJob(int argc, char** argv) {
  auto start = std::chrono::steady_clock::now();
  uint64_t branch_memory = kDefaultBranchMemoryBytes;
  for (int k = 1; k < argc; ++k) {
    if (std::strcmp(argv[k], "--branch-memory") == 0 && k + 1 < argc) {
      branch_memory = std::strtoull(argv[++k], nullptr, 10);
    } else {
      return Fail(2, "BAD_ARGUMENT", std::string("unknown argument '") + argv[k] + "'");
    }
  }
  // The daemon pins this process between spawn and its first write, so the
  // mask is read only after the whole input has arrived.
  std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  Circuit c = ParseCircuit(text);
  std::vector<int> cpus = ParseCpuList(StatusField("Cpus_allowed_list"));
  std::string mems = StatusField("Mems_allowed_list");
  Pool pool(WorkerCpus(c.qubits, c.threads));
  RunResult r = RunCircuit(c, pool, branch_memory);
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::string doc = Document(c, r, pool, cpus, mems, wall);
  std::fwrite(doc.data(), 1, doc.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace
}  // namespace z3bra

int main(int argc, char** argv) {
  using namespace z3bra;
  std::ios::sync_with_stdio(false);
  try {
    CheckEnv();
    if (argc > 1 && std::strcmp(argv[1], "bench") == 0) return RunBench(argc - 1, argv + 1);
    // A runner dies with the daemon that started it: a job whose daemon is
    // gone is requeued by the next one, and must not keep its CPUs busy
    // meanwhile. A parent that died before the call is caught by the pid
    // changing under it.
    const pid_t parent = getppid();
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) return Fail(1, "ORPHANED", "the process that started this runner has exited");
    return RunJob(argc, argv);
  } catch (const InputError& e) {
    return Fail(2, e.code, e.what());
  } catch (const MemoryError& e) {
    return Fail(3, "NO_MEMORY", e.what());
  } catch (const EnvError& e) {
    return Fail(1, "BAD_ENVIRONMENT", e.what());
  } catch (const std::bad_alloc&) {
    return Fail(3, "NO_MEMORY", "out of memory");
  } catch (const std::exception& e) {
    return Fail(1, "INTERNAL", e.what());
  }
}
