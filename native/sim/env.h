// SPDX-License-Identifier: Apache-2.0
// The runner's environment knobs (developer and bench settings, listed in
// native/README.md). An unset or empty knob takes its default; any other
// value must be one the knob accepts, whole, or the runner stops with
// BAD_ENVIRONMENT naming the knob, its value and what it accepts, before it
// touches a state.
#ifndef Z3BRA_SIM_ENV_H_
#define Z3BRA_SIM_ENV_H_

#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>

namespace z3bra {

struct EnvError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Reads `text` as a whole decimal integer from lo to hi into *out; false
// for anything else (empty, trailing characters, out of range).
bool ParseWhole(const char* text, int64_t lo, int64_t hi, int64_t* out);

// A decimal integer from lo to hi; `fallback` when unset or empty.
int64_t EnvInt(const char* name, int64_t fallback, int64_t lo, int64_t hi);

// One of `allowed`; "" when unset or empty.
std::string EnvWord(const char* name, std::initializer_list<const char*> allowed);

// Reads every knob once, so that a bad one stops the runner at start.
void CheckEnv();

}  // namespace z3bra

#endif  // Z3BRA_SIM_ENV_H_
