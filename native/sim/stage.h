// SPDX-License-Identifier: Apache-2.0
// Cache blocking. A state too large for the caches is streamed from memory
// once per step; a stage runs many steps per stream instead. The planned
// steps are grouped into stages whose qubits all fit in a block of
// 2^block_qubits amplitudes: the low qubits 0..low-1 (contiguous runs of
// the state) plus a few high ones. For every value of the other qubits, a
// worker copies that block into its own buffer (or, when the stage has no
// high qubit, works on the contiguous block where it lies), runs every step
// of the stage there on the ordinary kernels, and copies it back. The state
// is read and written once per stage, however many steps the stage holds.
//
// Steps move between stages only past steps they commute with: ones on
// other qubits, or diagonal ones when both are diagonal. The order of the
// steps within a stage, and of stages, is otherwise program order, so a
// staged run applies exactly the same arithmetic as a direct one.
#ifndef Z3BRA_SIM_STAGE_H_
#define Z3BRA_SIM_STAGE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "circuit.h"
#include "fuse.h"
#include "pool.h"
#include "state.h"

namespace z3bra {

struct Stage {
  // A stage of one step runs that step directly, on the whole state with
  // the whole pool: steps[direct] of the plan.
  bool direct = false;
  size_t step = 0;
  // Otherwise: the stage's steps with their qubits renamed to block qubits
  // (state qubit q < low stays q; high[j] becomes low + j), and the ops
  // that its unfused steps refer to, renamed the same way.
  int low = 0;
  std::vector<int> high;  // ascending, all >= low
  std::vector<Step> steps;
  std::vector<Op> ops;
  int gates = 0;  // original gates
};

// The block size by default: 2^15 complex128 amplitudes (512 KiB, inside a
// core's L2 on the hosts we measured; 2^14 to 2^16 measured alike within
// the noise); complex64 blocks get one qubit more for the same bytes.
// Z3BRA_SIM_BLOCK_QUBITS overrides it (0: off).
int DefaultBlockQubits(Precision p);

// The fewest low qubits a block keeps (runs of 2^10 amplitudes, 16 KiB in
// complex128): shorter runs stream poorly. Z3BRA_SIM_STAGE_MIN_LOW
// overrides it.
constexpr int kStageMinLow = 10;
int DefaultStageMinLow();

// Groups steps (in order) into stages for a state of n qubits; no stage
// when n is not above block_qubits, which must not pass the state's
// segment (State::SegmentQubitsFor) so that a block lies in one segment.
// min_low is the fewest low qubits a block keeps: runs of fewer contiguous
// amplitudes stream poorly.
std::vector<Stage> PlanStages(const std::vector<Op>& ops, const std::vector<Step>& steps, int n, int block_qubits,
                              int min_low);

// One step on a state (unfused gates on their own kernels).
void ApplyStep(Pool& pool, State& s, const std::vector<Op>& ops, const Step& st);

// One block buffer per worker, allocated by the calling thread (so that a
// refusal is a MemoryError there) and kept from stage to stage.
class StageBuffers {
 public:
  StageBuffers() = default;
  ~StageBuffers();
  StageBuffers(const StageBuffers&) = delete;
  StageBuffers& operator=(const StageBuffers&) = delete;
  void Reserve(int workers, size_t bytes);
  char* Get(int worker) const { return static_cast<char*>(bufs_[static_cast<size_t>(worker)]); }

 private:
  std::vector<void*> bufs_;
  size_t bytes_ = 0;
};

// Runs one stage over the whole state.
void ApplyStage(Pool& pool, State& s, const std::vector<Op>& ops, const std::vector<Step>& steps, const Stage& st,
                StageBuffers& bufs);

}  // namespace z3bra

#endif  // Z3BRA_SIM_STAGE_H_
