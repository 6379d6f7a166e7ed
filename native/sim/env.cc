// SPDX-License-Identifier: Apache-2.0
#include "env.h"

#include <cerrno>
#include <cstdlib>

#include "dense.h"
#include "run.h"
#include "stage.h"
#include "state.h"

namespace z3bra {

bool ParseWhole(const char* text, int64_t lo, int64_t hi, int64_t* out) {
  char* end = nullptr;
  errno = 0;
  const long long x = std::strtoll(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || x < lo || x > hi) return false;
  *out = x;
  return true;
}

int64_t EnvInt(const char* name, int64_t fallback, int64_t lo, int64_t hi) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  int64_t x = 0;
  if (!ParseWhole(v, lo, hi, &x)) {
    throw EnvError(std::string(name) + "=" + v + ": expected a whole number from " + std::to_string(lo) + " to " +
                   std::to_string(hi));
  }
  return x;
}

std::string EnvWord(const char* name, std::initializer_list<const char*> allowed) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return "";
  std::string list;
  for (const char* a : allowed) {
    if (std::string(v) == a) return v;
    list += list.empty() ? "" : " or ";
    list += a;
  }
  throw EnvError(std::string(name) + "=" + v + ": expected " + list + " (or unset)");
}

void CheckEnv() {
  ActiveKernels();
  DenseOnly();
  ProfileStages();
  DefaultBlockQubits(Precision::kDouble);
  DefaultStageMinLow();
  State::SegmentQubitsFor(0, Precision::kDouble);
  State::GapFor(Precision::kDouble);
}

}  // namespace z3bra
