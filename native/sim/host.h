// SPDX-License-Identifier: Apache-2.0
// What the runner reads about its own placement and use of the host.
#ifndef Z3BRA_SIM_HOST_H_
#define Z3BRA_SIM_HOST_H_

#include <cstdint>
#include <string>
#include <vector>

namespace z3bra {

// The CPUs of this thread's affinity mask, ascending.
std::vector<int> AffinityCpus();
// A field of /proc/self/status ("Cpus_allowed_list"), "" when absent.
std::string StatusField(const std::string& name);
// "0-3,8" -> {0, 1, 2, 3, 8}.
std::vector<int> ParseCpuList(const std::string& s);
uint64_t PeakRssBytes();
// The worker CPUs for a job: the mask, cut to `requested` (0: all), and to
// one CPU for states too small to repay the synchronisation.
std::vector<int> WorkerCpus(int qubits, int requested);

}  // namespace z3bra

#endif  // Z3BRA_SIM_HOST_H_
