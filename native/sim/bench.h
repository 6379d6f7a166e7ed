// SPDX-License-Identifier: Apache-2.0
#ifndef Z3BRA_SIM_BENCH_H_
#define Z3BRA_SIM_BENCH_H_

namespace z3bra {

// z3bra-sim bench --qubits N [--threads T] --gate 1q|2q|bandwidth
//                 [--target K] [--target2 K2] [--reps R]
int RunBench(int argc, char** argv);

}  // namespace z3bra

#endif  // Z3BRA_SIM_BENCH_H_
