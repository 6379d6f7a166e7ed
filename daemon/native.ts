// SPDX-License-Identifier: Apache-2.0
// Typed loader of the native addon (build/Release/z3bra_native.node) and the
// place the runner executable is found. Both live under the package root,
// which is found by walking up to package.json: this file runs as
// dist/daemon/native.js after tsc and as daemon/native.ts under tsx or tap.
import fs from 'node:fs'
import path from 'node:path'

/** Thrown by the addon: `code` is the errno name ('EINVAL', 'ESRCH') or 'ELOCKED'. */
export interface NativeError extends Error {
  code: string
  errno?: number
  syscall?: string
}

export interface BuildInfo {
  /** The compiler that built the simulator, as `__VERSION__` reports it. */
  compiler: string
  /** The simulator's compile flags, from binding.gyp. */
  flags: string
  /** The vector instruction set the build targets: 'avx2+fma', 'sse2' or 'generic'. */
  simd: string
}

interface Addon {
  setAffinity(pid: number, cpus: number[]): void
  getAffinity(pid: number): number[]
  notify(message: string): boolean
  lockFile(path: string): number
  buildInfo(): BuildInfo
}

let root: string | undefined
let addon: Addon | undefined

/** The directory holding package.json, above this file. */
export function packageRoot(): string {
  if (root !== undefined) return root
  let dir = __dirname
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return (root = dir)
    const up = path.dirname(dir)
    if (up === dir) throw new Error(`no package.json above ${__dirname}: cannot locate the native build`)
    dir = up
  }
}

// Loaded on first use, so that importing this module never fails on a
// machine where only the TypeScript side was built.
function load(): Addon {
  if (addon === undefined) {
    addon = require(path.join(packageRoot(), 'build', 'Release', 'z3bra_native.node')) as Addon
  }
  return addon
}

function checkPid(pid: number): void {
  if (!Number.isInteger(pid) || pid < 0) throw new TypeError(`Expected pid to be a non-negative integer, received ${pid}`)
}

/**
 * Sets the CPU affinity of one thread (a pid names a process's main thread;
 * threads it creates later inherit the mask). Throws a NativeError.
 */
export function setAffinity(pid: number, cpus: number[]): void {
  checkPid(pid)
  if (!Array.isArray(cpus) || cpus.length === 0 || !cpus.every((c) => Number.isInteger(c) && c >= 0)) {
    throw new TypeError('Expected cpus to be a non-empty array of CPU numbers')
  }
  load().setAffinity(pid, cpus)
}

/** The CPUs in the affinity mask of `pid` (0: the calling thread), ascending. */
export function getAffinity(pid: number): number[] {
  checkPid(pid)
  return load().getAffinity(pid)
}

/** sd_notify: sends `message` ('READY=1', 'STATUS=...') to $NOTIFY_SOCKET; false when it is unset. */
export function notify(message: string): boolean {
  if (typeof message !== 'string') throw new TypeError('Expected message to be a string')
  return load().notify(message)
}

/**
 * Opens (creating, mode 0600) and exclusively locks `file`; returns the fd,
 * which must stay open for the life of the process. Throws a NativeError with
 * code 'ELOCKED' when another process holds the lock.
 */
export function lockFile(file: string): number {
  if (typeof file !== 'string' || file === '') throw new TypeError('Expected path to be a non-empty string')
  return load().lockFile(file)
}

export function buildInfo(): BuildInfo {
  return load().buildInfo()
}

/** Absolute path of the runner executable, build/Release/z3bra-sim. */
export function runnerPath(): string {
  return path.join(packageRoot(), 'build', 'Release', 'z3bra-sim')
}
