// SPDX-License-Identifier: Apache-2.0
// The runner's parsed input: the wire form of docs/runner-protocol.md, one
// struct per op line. Everything here is validated by the parser, so the
// simulator never re-checks indices.
#ifndef Z3BRA_SIM_CIRCUIT_H_
#define Z3BRA_SIM_CIRCUIT_H_

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "state.h"

namespace z3bra {

enum class OpKind { kU, kSwap, kU2, kMeasure, kReset };

struct Op {
  OpKind kind;
  // u: target in q[0]; swap: a, b in q[0], q[1]; u2: q0, q1; measure/reset: q[0].
  int q[2] = {0, 0};
  int clbit = 0;                // measure only
  std::vector<int> controls;    // u and swap
  std::vector<double> matrix;   // 8 (u) or 32 (u2) numbers, re/im pairs
  // A classical condition: the op runs only when the integer of cond_bits
  // (first least significant) equals cond_value. Empty cond_bits: always.
  std::vector<int> cond_bits;
  uint64_t cond_value = 0;
  bool conditional() const { return !cond_bits.empty(); }
};

// The widest fused block the input may ask for (dense.h's kMaxDense).
constexpr int kMaxFusionQubits = 5;

struct Creg {
  std::string name;
  int size;
  int offset;
};

struct Circuit {
  int qubits = 0;
  int clbits = 0;
  std::vector<Creg> cregs;
  uint64_t shots = 0;
  uint64_t seed = 0;
  bool probabilities = false;
  int threads = 0;
  // Largest fused block in qubits: -1 chooses (kDefaultFusionQubits), 0 or
  // 1 runs every gate as it is.
  int fusion = -1;
  // Amplitudes in complex double (the default) or complex float.
  Precision precision = Precision::kDouble;
  std::vector<Op> ops;
};

// Input the runner refuses (exit 2, code BAD_INPUT unless said otherwise).
struct InputError : std::runtime_error {
  std::string code;
  explicit InputError(const std::string& msg, std::string c = "BAD_INPUT")
      : std::runtime_error(msg), code(std::move(c)) {}
};

// Memory the runner could not get (exit 3, code NO_MEMORY).
struct MemoryError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

Circuit ParseCircuit(const std::string& text);

}  // namespace z3bra

#endif  // Z3BRA_SIM_CIRCUIT_H_
