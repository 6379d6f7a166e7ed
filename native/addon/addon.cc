// SPDX-License-Identifier: Apache-2.0
// z3bra_native.node: the few host calls Node has no API for. Each export is
// a short synchronous system call; daemon/native.ts owns the typed surface.
// Errors are thrown as Error objects with `code` (the errno name, or
// ELOCKED), `errno` and `syscall`, like Node's own system errors.
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include <napi.h>

#include "build-info.h"

namespace {

// Affinity masks beyond this many CPUs are refused rather than allocated.
constexpr int kMaxCpu = 1 << 16;

std::string ErrnoName(int err) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  const char* name = strerrorname_np(err);
  if (name != nullptr) return name;
#endif
  return "E" + std::to_string(err);
}

[[noreturn]] void ThrowSystem(Napi::Env env, int err, const char* syscall, const std::string& what) {
  Napi::Error e = Napi::Error::New(env, what + ": " + strerror(err));
  e.Set("code", Napi::String::New(env, ErrnoName(err)));
  e.Set("errno", Napi::Number::New(env, -err));
  e.Set("syscall", Napi::String::New(env, syscall));
  throw e;
}

int PidArg(const Napi::CallbackInfo& info, size_t k) {
  if (info.Length() <= k || !info[k].IsNumber()) throw Napi::TypeError::New(info.Env(), "Expected pid to be an integer");
  double v = info[k].As<Napi::Number>().DoubleValue();
  if (v != static_cast<int>(v) || v < 0) throw Napi::TypeError::New(info.Env(), "Expected pid to be an integer");
  return static_cast<int>(v);
}

std::string CpuText(const std::vector<int>& cpus) {
  std::string s;
  for (size_t k = 0; k < cpus.size(); ++k) s += (k ? "," : "") + std::to_string(cpus[k]);
  return s;
}

void JS_setAffinity(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int pid = PidArg(info, 0);
  if (info.Length() < 2 || !info[1].IsArray()) throw Napi::TypeError::New(env, "Expected cpus to be an array");
  Napi::Array arr = info[1].As<Napi::Array>();
  std::vector<int> cpus;
  int top = 0;
  for (uint32_t k = 0; k < arr.Length(); ++k) {
    Napi::Value v = arr.Get(k);
    double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
    if (d != static_cast<int>(d) || d < 0 || d >= kMaxCpu) {
      throw Napi::TypeError::New(env, "Expected cpus to hold CPU numbers from 0 to " + std::to_string(kMaxCpu - 1));
    }
    cpus.push_back(static_cast<int>(d));
    if (cpus.back() + 1 > top) top = cpus.back() + 1;
  }
  if (cpus.empty()) throw Napi::TypeError::New(env, "Expected cpus to name at least one CPU");
  cpu_set_t* set = CPU_ALLOC(top);
  size_t size = CPU_ALLOC_SIZE(top);
  CPU_ZERO_S(size, set);
  for (int c : cpus) CPU_SET_S(c, size, set);
  int rc = sched_setaffinity(pid, size, set);
  int err = errno;
  CPU_FREE(set);
  if (rc != 0) ThrowSystem(env, err, "sched_setaffinity", "cannot pin pid " + std::to_string(pid) + " to CPUs " + CpuText(cpus));
}

Napi::Value JS_getAffinity(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int pid = PidArg(info, 0);
  // The kernel refuses a mask smaller than its own (EINVAL): grow until it fits.
  for (int ncpu = 1024; ncpu <= kMaxCpu; ncpu *= 2) {
    cpu_set_t* set = CPU_ALLOC(ncpu);
    size_t size = CPU_ALLOC_SIZE(ncpu);
    CPU_ZERO_S(size, set);
    int rc = sched_getaffinity(pid, size, set);
    int err = errno;
    if (rc == 0) {
      Napi::Array out = Napi::Array::New(env);
      uint32_t n = 0;
      for (int c = 0; c < ncpu; ++c) {
        if (CPU_ISSET_S(c, size, set)) out.Set(n++, Napi::Number::New(env, c));
      }
      CPU_FREE(set);
      return out;
    }
    CPU_FREE(set);
    if (err != EINVAL) ThrowSystem(env, err, "sched_getaffinity", "cannot read the CPU affinity of pid " + std::to_string(pid));
  }
  ThrowSystem(env, EINVAL, "sched_getaffinity", "cannot read the CPU affinity of pid " + std::to_string(pid));
}

// sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET, a path or
// an abstract name written with a leading '@'.
Napi::Value JS_notify(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "Expected message to be a string");
  std::string msg = info[0].As<Napi::String>().Utf8Value();
  const char* target = getenv("NOTIFY_SOCKET");
  if (target == nullptr || target[0] == '\0') return Napi::Boolean::New(env, false);
  std::string path = target;
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if ((path[0] != '/' && path[0] != '@') || path.size() >= sizeof addr.sun_path) {
    ThrowSystem(env, EAFNOSUPPORT, "connect", "NOTIFY_SOCKET is not a unix socket path or abstract name: " + path);
  }
  memcpy(addr.sun_path, path.data(), path.size());
  if (path[0] == '@') addr.sun_path[0] = '\0';
  socklen_t len = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + path.size() + (path[0] == '/' ? 1 : 0));
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) ThrowSystem(env, errno, "socket", "cannot create the notify socket");
  ssize_t sent = sendto(fd, msg.data(), msg.size(), MSG_NOSIGNAL, reinterpret_cast<struct sockaddr*>(&addr), len);
  int err = errno;
  close(fd);
  if (sent < 0) ThrowSystem(env, err, "sendto", "cannot notify " + path);
  return Napi::Boolean::New(env, true);
}

// An advisory lock that dies with the process: flock on an fd that is never
// closed (and close-on-exec, so runners the daemon spawns do not hold it).
Napi::Value JS_lockFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "Expected path to be a string");
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) ThrowSystem(env, errno, "open", "cannot open lock file " + path);
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    close(fd);
    if (err == EWOULDBLOCK) {
      Napi::Error e = Napi::Error::New(env, path + " is locked by another process");
      e.Set("code", Napi::String::New(env, "ELOCKED"));
      e.Set("syscall", Napi::String::New(env, "flock"));
      throw e;
    }
    ThrowSystem(env, err, "flock", "cannot lock " + path);
  }
  return Napi::Number::New(env, fd);
}

Napi::Value JS_buildInfo(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("compiler", z3bra::kCompiler);
  o.Set("flags", z3bra::kBuildFlags);
  o.Set("simd", z3bra::kSimd);
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("setAffinity", Napi::Function::New(env, JS_setAffinity, "setAffinity"));
  exports.Set("getAffinity", Napi::Function::New(env, JS_getAffinity, "getAffinity"));
  exports.Set("notify", Napi::Function::New(env, JS_notify, "notify"));
  exports.Set("lockFile", Napi::Function::New(env, JS_lockFile, "lockFile"));
  exports.Set("buildInfo", Napi::Function::New(env, JS_buildInfo, "buildInfo"));
  return exports;
}

}  // namespace

NODE_API_MODULE(z3bra_native, Init)
