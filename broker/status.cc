#include "broker/status.h"

#include <cstring>

namespace zsup {

Status Status::Errno(const std::string& what, int err) {
  return Error(what + ": " + std::strerror(err));
}

const std::string& Status::message() const { return message_; }

Status Status::Prefixed(const std::string& context) const {
  if (ok()) return *this;
  return Status(code_, context + ": " + message_);
}

}  // namespace zsup
