// Errors as values, in the manner of leveldb's Status.
//
// Status is either OK or carries a human-readable message meant for the user
// (it ends up in a reply's `error` string or on stderr). Result<T> holds a T
// or a non-OK Status. Neither throws; both are cheap to move.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace zsup {

class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk,
    kError,        // anything that went wrong locally or on the wire
    kRefused,      // the peer understood and said no (a reply with ok: false)
    kUnreachable,  // the peer did not answer in time
  };

  Status() = default;  // OK
  static Status Ok() { return Status(); }
  static Status Error(std::string message) { return Status(Code::kError, std::move(message)); }
  static Status Refused(std::string message) { return Status(Code::kRefused, std::move(message)); }
  static Status Unreachable(std::string message) {
    return Status(Code::kUnreachable, std::move(message));
  }
  // "<what>: <strerror(err)>", the one place errno becomes text.
  static Status Errno(const std::string& what, int err);

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  // Empty for OK.
  const std::string& message() const;
  // Returns this error with "<context>: " prepended (OK stays OK).
  Status Prefixed(const std::string& context) const;

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (std::get<Status>(v_).ok()) {
      std::fputs("zsup: Result constructed from an OK Status\n", stderr);
      std::abort();
    }
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  const std::string& error() const { return status().message(); }
  T& value() & { return Check(), std::get<T>(v_); }
  const T& value() const& { return Check(), std::get<T>(v_); }
  T&& value() && { return Check(), std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  void Check() const {
    if (!ok()) {
      std::fprintf(stderr, "zsup: value() of a failed Result: %s\n", error().c_str());
      std::abort();
    }
  }
  std::variant<T, Status> v_;
};

// Aborts in every build when an invariant that cannot fail does.
#define ZSUP_CHECK(cond)                                                                    \
  do {                                                                                      \
    if (!(cond)) {                                                                          \
      std::fprintf(stderr, "zsup: check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                         \
    }                                                                                       \
  } while (0)

}  // namespace zsup
