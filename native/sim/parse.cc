// SPDX-License-Identifier: Apache-2.0
// Parser of the runner's text input (docs/runner-protocol.md). Strict: every
// deviation is an InputError naming the line, because the only writer is our
// own toRunnerInput and a mismatch means a bug worth seeing.
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "circuit.h"

namespace z3bra {
namespace {

// Bounds on what the input may ask for. Qubit indices address bits of a
// 64-bit basis index; the shot cap bounds the sampler's sorted uniforms
// (8 bytes each).
constexpr int kMaxQubits = 62;
constexpr uint64_t kMaxShots = 100000000;
constexpr uint64_t kMaxOps = 100000000;

class Lines {
 public:
  explicit Lines(const std::string& text) : text_(text) {}

  // The next line split into fields; false at end of input.
  bool Next(std::vector<std::string>* fields) {
    if (pos_ >= text_.size()) return false;
    size_t end = text_.find('\n', pos_);
    if (end == std::string::npos) end = text_.size();
    std::string line = text_.substr(pos_, end - pos_);
    pos_ = end + 1;
    ++number_;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    fields->clear();
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
      if (j > i) fields->push_back(line.substr(i, j - i));
      i = j;
    }
    return true;
  }

  [[noreturn]] void Fail(const std::string& what) const {
    throw InputError("line " + std::to_string(number_) + ": " + what);
  }

  int number() const { return number_; }

 private:
  const std::string& text_;
  size_t pos_ = 0;
  int number_ = 0;
};

uint64_t ParseU64(const Lines& in, const std::string& s, const char* what) {
  if (s.empty() || s.size() > 20) in.Fail(std::string("expected ") + what + ", found '" + s + "'");
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') in.Fail(std::string("expected ") + what + ", found '" + s + "'");
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) in.Fail(std::string(what) + " out of range: " + s);
    v = v * 10 + d;
  }
  return v;
}

int ParseInt(const Lines& in, const std::string& s, const char* what, uint64_t max) {
  uint64_t v = ParseU64(in, s, what);
  if (v > max) in.Fail(std::string(what) + " out of range: " + s + " (at most " + std::to_string(max) + ")");
  return static_cast<int>(v);
}

double ParseDouble(const Lines& in, const std::string& s) {
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  // ERANGE on underflow is fine (a denormal or zero); only overflow is not.
  if (end == s.c_str() || *end != '\0' || !std::isfinite(v)) {
    in.Fail("expected a finite matrix entry, found '" + s + "'");
  }
  return v;
}

// A header line "<key> <value>", returned as its value field.
const std::string& Header(Lines& in, std::vector<std::string>* f, const char* key) {
  if (!in.Next(f)) throw InputError(std::string("unexpected end of input: expected '") + key + "'");
  if (f->empty() || (*f)[0] != key) {
    in.Fail(std::string("expected '") + key + " <value>', found '" + (f->empty() ? "" : (*f)[0]) + "'");
  }
  if (f->size() != 2) in.Fail(std::string("expected '") + key + " <value>'");
  return (*f)[1];
}

class OpParser {
 public:
  OpParser(const Lines& in, const Circuit& c) : in_(in), c_(c) {}

  Op Parse(const std::vector<std::string>& f) {
    size_t i = 0;
    Op op;
    ParseInto(f, &i, &op, true);
    if (i != f.size()) in_.Fail("unexpected field '" + f[i] + "' after the op");
    return op;
  }

 private:
  const std::string& Field(const std::vector<std::string>& f, size_t* i, const char* what) {
    if (*i >= f.size()) in_.Fail(std::string("missing ") + what);
    return f[(*i)++];
  }

  int Qubit(const std::vector<std::string>& f, size_t* i, const char* what) {
    const std::string& s = Field(f, i, what);
    uint64_t v = ParseU64(in_, s, what);
    if (v >= static_cast<uint64_t>(c_.qubits)) {
      in_.Fail(std::string(what) + " " + s + " out of range: the circuit has " + std::to_string(c_.qubits) + " qubits");
    }
    return static_cast<int>(v);
  }

  int Clbit(const std::vector<std::string>& f, size_t* i, const char* what) {
    const std::string& s = Field(f, i, what);
    uint64_t v = ParseU64(in_, s, what);
    if (v >= static_cast<uint64_t>(c_.clbits)) {
      in_.Fail(std::string(what) + " " + s + " out of range: the circuit has " + std::to_string(c_.clbits) + " classical bits");
    }
    return static_cast<int>(v);
  }

  void Controls(const std::vector<std::string>& f, size_t* i, Op* op) {
    int nc = ParseInt(in_, Field(f, i, "control count"), "control count", static_cast<uint64_t>(c_.qubits));
    for (int k = 0; k < nc; ++k) op->controls.push_back(Qubit(f, i, "control qubit"));
  }

  void Matrix(const std::vector<std::string>& f, size_t* i, Op* op, size_t n) {
    size_t have = f.size() - *i;
    if (have < n) {
      in_.Fail("expected " + std::to_string(n) + " matrix entries, found " + std::to_string(have));
    }
    for (size_t k = 0; k < n; ++k) op->matrix.push_back(ParseDouble(in_, f[(*i)++]));
  }

  // Target, second qubit and controls must all be distinct qubits.
  void Distinct(const Op& op, int nq) {
    std::vector<int> all(op.q, op.q + nq);
    all.insert(all.end(), op.controls.begin(), op.controls.end());
    for (size_t a = 0; a < all.size(); ++a) {
      for (size_t b = a + 1; b < all.size(); ++b) {
        if (all[a] == all[b]) in_.Fail("qubit " + std::to_string(all[a]) + " appears twice in one op");
      }
    }
  }

  void ParseInto(const std::vector<std::string>& f, size_t* i, Op* op, bool allow_if) {
    const std::string& kind = Field(f, i, "op name");
    if (kind == "u") {
      op->kind = OpKind::kU;
      op->q[0] = Qubit(f, i, "target qubit");
      Controls(f, i, op);
      Matrix(f, i, op, 8);
      Distinct(*op, 1);
    } else if (kind == "swap") {
      op->kind = OpKind::kSwap;
      op->q[0] = Qubit(f, i, "qubit");
      op->q[1] = Qubit(f, i, "qubit");
      Controls(f, i, op);
      Distinct(*op, 2);
    } else if (kind == "u2") {
      op->kind = OpKind::kU2;
      op->q[0] = Qubit(f, i, "qubit");
      op->q[1] = Qubit(f, i, "qubit");
      Matrix(f, i, op, 32);
      Distinct(*op, 2);
    } else if (kind == "measure") {
      op->kind = OpKind::kMeasure;
      op->q[0] = Qubit(f, i, "qubit");
      op->clbit = Clbit(f, i, "classical bit");
    } else if (kind == "reset") {
      op->kind = OpKind::kReset;
      op->q[0] = Qubit(f, i, "qubit");
    } else if (kind == "if" && allow_if) {
      int nb = ParseInt(in_, Field(f, i, "condition bit count"), "condition bit count", 64);
      if (nb == 0) in_.Fail("a condition needs at least one classical bit");
      for (int k = 0; k < nb; ++k) op->cond_bits.push_back(Clbit(f, i, "condition bit"));
      op->cond_value = ParseU64(in_, Field(f, i, "condition value"), "condition value");
      ParseInto(f, i, op, false);
    } else if (kind == "if") {
      in_.Fail("a condition cannot hold another condition");
    } else {
      in_.Fail("unknown op '" + kind + "'");
    }
  }

  const Lines& in_;
  const Circuit& c_;
};

}  // namespace

Circuit ParseCircuit(const std::string& text) {
  Lines in(text);
  std::vector<std::string> f;
  Circuit c;

  if (!in.Next(&f)) throw InputError("empty input: expected 'z3bra-ir 1'");
  if (f.size() != 2 || f[0] != "z3bra-ir") in.Fail("expected 'z3bra-ir 1'");
  if (f[1] != "1") in.Fail("unsupported input version '" + f[1] + "' (this runner reads version 1)");

  c.qubits = ParseInt(in, Header(in, &f, "qubits"), "qubit count", kMaxQubits);
  c.clbits = ParseInt(in, Header(in, &f, "clbits"), "classical bit count", 1u << 20);

  // creg lines until the shots line; their sizes must add up to clbits.
  int offset = 0;
  for (;;) {
    if (!in.Next(&f)) throw InputError("unexpected end of input: expected 'shots'");
    if (!f.empty() && f[0] == "creg") {
      if (f.size() != 3) in.Fail("expected 'creg <name> <size>'");
      int size = ParseInt(in, f[2], "register size", 1u << 20);
      c.cregs.push_back({f[1], size, offset});
      offset += size;
      if (offset > c.clbits) in.Fail("registers hold more than the " + std::to_string(c.clbits) + " classical bits declared");
      continue;
    }
    if (f.empty() || f[0] != "shots" || f.size() != 2) in.Fail("expected 'creg <name> <size>' or 'shots <n>'");
    break;
  }
  if (offset != c.clbits) {
    in.Fail("registers hold " + std::to_string(offset) + " classical bits but 'clbits' declared " + std::to_string(c.clbits));
  }
  c.shots = ParseU64(in, f[1], "shot count");
  if (c.shots > kMaxShots) in.Fail("shots out of range: at most " + std::to_string(kMaxShots));
  c.seed = ParseU64(in, Header(in, &f, "seed"), "seed");
  const std::string& pr = Header(in, &f, "probabilities");
  if (pr != "0" && pr != "1") in.Fail("expected 'probabilities 0' or 'probabilities 1'");
  c.probabilities = pr == "1";
  c.threads = ParseInt(in, Header(in, &f, "threads"), "thread count", 1u << 16);
  // Optional lines between threads and ops, each at most once; an input
  // without them reads as before (fusion auto, precision double).
  bool seen_fusion = false, seen_precision = false;
  for (;;) {
    if (!in.Next(&f)) throw InputError("unexpected end of input: expected 'ops'");
    if (f.size() == 2 && f[0] == "fusion" && !seen_fusion) {
      seen_fusion = true;
      c.fusion = f[1] == "auto" ? -1 : ParseInt(in, f[1], "fusion block size", kMaxFusionQubits);
      continue;
    }
    if (f.size() == 2 && f[0] == "precision" && !seen_precision) {
      seen_precision = true;
      if (f[1] != "single" && f[1] != "double") in.Fail("expected 'precision single' or 'precision double'");
      c.precision = f[1] == "single" ? Precision::kSingle : Precision::kDouble;
      continue;
    }
    if (f.empty() || f[0] != "ops" || f.size() != 2) {
      in.Fail("expected 'ops <value>', found '" + (f.empty() ? std::string() : f[0]) + "'");
    }
    break;
  }
  uint64_t nops = ParseU64(in, f[1], "op count");
  if (nops > kMaxOps) in.Fail("op count out of range: at most " + std::to_string(kMaxOps));

  OpParser ops(in, c);
  c.ops.reserve(nops);
  for (uint64_t k = 0; k < nops; ++k) {
    if (!in.Next(&f)) {
      throw InputError("unexpected end of input: expected " + std::to_string(nops) + " ops, found " + std::to_string(k));
    }
    if (f.empty()) in.Fail("empty op line");
    if (f[0] == "end") in.Fail("expected " + std::to_string(nops) + " ops, found " + std::to_string(k));
    c.ops.push_back(ops.Parse(f));
  }
  if (!in.Next(&f)) throw InputError("unexpected end of input: expected 'end'");
  if (f.size() != 1 || f[0] != "end") in.Fail("expected 'end'");
  while (in.Next(&f)) {
    if (!f.empty()) in.Fail("unexpected text after 'end'");
  }
  return c;
}

}  // namespace z3bra
