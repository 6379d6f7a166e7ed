# SPDX-License-Identifier: Apache-2.0
# Two products, both built by `npm ci` (package.json's install script,
# native/install.js, runs `node-gyp rebuild` unless the build is newer than
# every source) on the host that will run them:
#   z3bra_native.node  the N-API addon: affinity, sd_notify, lock files, build info
#   z3bra-sim          the statevector runner the local backend spawns per job
{
  'variables': {
    # Reported verbatim by `buildInfo()` and in every runner result, so a
    # recorded job says how its simulator was compiled. Keep in sync with the
    # cflags below.
    'sim_flags': '-std=c++17 -O3 -march=x86-64-v2 -mtune=native -fno-math-errno -pthread -falign-functions=64',
  },
  'targets': [
    {
      'target_name': 'z3bra_native',
      'sources': [ 'native/addon/addon.cc' ],
      # C++ exceptions on purpose: node-addon-api turns a thrown Napi::Error
      # into a JS exception, which keeps every export a straight-line function.
      'dependencies': [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except",
      ],
      'include_dirs': [ 'native/common' ],
      'defines': [ 'Z3BRA_BUILD_FLAGS="<(sim_flags)"' ],
      # -march=native as for the runner, so that buildInfo().simd names the
      # instruction set the simulator on this host was built for.
      'cflags_cc': [ '-std=c++17', '-march=native', '-fvisibility=hidden', '-Wall', '-Wextra' ],
      'cflags_cc!': [ '-fno-exceptions' ],
    },
    {
      'target_name': 'z3bra-sim',
      'type': 'executable',
      'sources': [
        'native/sim/main.cc',
        'native/sim/parse.cc',
        'native/sim/pool.cc',
        'native/sim/state.cc',
        'native/sim/kernels.cc',
        'native/sim/dense.cc',
        'native/sim/env.cc',
        'native/sim/dense-portable.cc',
        'native/sim/dense-avx2.cc',
        'native/sim/dense-avx512.cc',
        'native/sim/fuse.cc',
        'native/sim/run.cc',
        'native/sim/stage.cc',
        'native/sim/analyse.cc',
        'native/sim/bench.cc',
        'native/sim/host.cc',
      ],
      'include_dirs': [ 'native/common', 'native/sim' ],
      'defines': [ 'Z3BRA_BUILD_FLAGS="<(sim_flags)"' ],
      # node-gyp's common.gypi adds -fno-exceptions and -O3 for Release; the
      # runner reports parse errors with exceptions. The baseline is
      # x86-64-v2 so that one binary runs anywhere; the dense kernels carry
      # their own AVX2+FMA builds (dense-avx2.cc, and dense-avx512.cc with
      # AVX-512VL registers), chosen at run time. Functions start on 64-byte
      # lines: the 2q kernel's identical machine code measured 17 ms or
      # 23-24 ms per gate on the Intel host by where an unrelated change
      # had moved it (starting 0 or 48 bytes into a line, or 16 or 32).
      'cflags_cc!': [ '-fno-exceptions', '-fno-rtti', '-std=gnu++17' ],
      'cflags_cc': [ '-std=c++17', '-O3', '-march=x86-64-v2', '-mtune=native', '-fno-math-errno', '-pthread', '-Wall', '-Wextra', '-falign-functions=64' ],
      'ldflags': [ '-pthread' ],
    },
  ],
}
