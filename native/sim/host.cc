// SPDX-License-Identifier: Apache-2.0
#include "host.h"

#include <sched.h>
#include <sys/resource.h>

#include <cstdlib>
#include <fstream>

namespace z3bra {
namespace {

// Below 2^14 amplitudes a gate takes a few microseconds: a barrier per gate
// would cost more than the second thread saves.
constexpr int kMinParallelQubits = 14;

}  // namespace

std::vector<int> AffinityCpus() {
  std::vector<int> out;
  for (int ncpu = 1024; ncpu <= (1 << 20); ncpu *= 2) {
    cpu_set_t* set = CPU_ALLOC(ncpu);
    size_t size = CPU_ALLOC_SIZE(ncpu);
    CPU_ZERO_S(size, set);
    if (sched_getaffinity(0, size, set) == 0) {
      for (int c = 0; c < ncpu; ++c) {
        if (CPU_ISSET_S(c, size, set)) out.push_back(c);
      }
      CPU_FREE(set);
      return out;
    }
    CPU_FREE(set);
  }
  return {0};
}

std::string StatusField(const std::string& name) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.compare(0, name.size() + 1, name + ":") == 0) {
      size_t k = name.size() + 1;
      while (k < line.size() && (line[k] == ' ' || line[k] == '\t')) ++k;
      return line.substr(k);
    }
  }
  return "";
}

std::vector<int> ParseCpuList(const std::string& s) {
  std::vector<int> out;
  size_t k = 0;
  while (k < s.size()) {
    char* end = nullptr;
    long a = std::strtol(s.c_str() + k, &end, 10);
    if (end == s.c_str() + k) break;
    long b = a;
    k = end - s.c_str();
    if (k < s.size() && s[k] == '-') {
      b = std::strtol(s.c_str() + k + 1, &end, 10);
      k = end - s.c_str();
    }
    for (long c = a; c <= b; ++c) out.push_back(static_cast<int>(c));
    if (k < s.size() && s[k] == ',') ++k;
    else break;
  }
  return out;
}

uint64_t PeakRssBytes() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<uint64_t>(ru.ru_maxrss) * 1024;
}

std::vector<int> WorkerCpus(int qubits, int requested) {
  std::vector<int> cpus = AffinityCpus();
  size_t t = cpus.size();
  if (requested > 0 && static_cast<size_t>(requested) < t) t = requested;
  if (qubits < kMinParallelQubits) t = 1;
  cpus.resize(t);
  return cpus;
}

}  // namespace z3bra
