#include "stem/ready_probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <utility>

namespace zsup {
namespace {

bool SameEndpoint(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family) return false;
  if (a.ss_family == AF_INET) {
    const auto& x = reinterpret_cast<const sockaddr_in&>(a);
    const auto& y = reinterpret_cast<const sockaddr_in&>(b);
    return x.sin_port == y.sin_port && x.sin_addr.s_addr == y.sin_addr.s_addr;
  }
  const auto& x = reinterpret_cast<const sockaddr_in6&>(a);
  const auto& y = reinterpret_cast<const sockaddr_in6&>(b);
  return x.sin6_port == y.sin6_port && std::memcmp(&x.sin6_addr, &y.sin6_addr, 16) == 0;
}

}  // namespace

ReadyProbe::ReadyProbe(const ReadySpec& spec) : spec_(spec) {
  ZSUP_CHECK(spec.kind == ReadySpec::Kind::kTcp);
}

std::optional<TimePoint> ReadyProbe::deadline() const {
  if (ready_) return std::nullopt;
  return fd_ ? started_ + kAttemptTimeout : next_attempt_;
}

void ReadyProbe::Tick(TimePoint now) {
  if (ready_) return;
  if (fd_) {
    if (now - started_ < kAttemptTimeout) return;
    Fail(now,
         Status::Error("connect to " + FormatAddress(spec_.addr) + ": no answer within " +
                       std::to_string(kAttemptTimeout / std::chrono::milliseconds(1)) + " ms"));
  }
  if (now >= next_attempt_) Start(now);
}

void ReadyProbe::Start(TimePoint now) {
  started_ = now;
  fd_.Reset(::socket(spec_.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd_) return Fail(now, Status::Errno("socket for " + FormatAddress(spec_.addr), errno));
  if (::connect(fd_.get(), reinterpret_cast<const sockaddr*>(&spec_.addr), spec_.addr_len) == 0) {
    return OnWritable(now);  // connected at once (loopback may); same checks apply
  }
  // EINTR: a non-blocking connect goes on in the background, as for EINPROGRESS.
  if (errno == EINPROGRESS || errno == EINTR) return;
  Fail(now, Status::Errno("connect to " + FormatAddress(spec_.addr), errno));
}

void ReadyProbe::OnWritable(TimePoint now) {
  if (ready_ || !fd_) return;
  const std::string what = "connect to " + FormatAddress(spec_.addr);
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err != 0) return Fail(now, Status::Errno(what, err));
  sockaddr_storage peer{};
  sockaddr_storage self{};
  socklen_t peer_len = sizeof peer;
  socklen_t self_len = sizeof self;
  if (::getpeername(fd_.get(), reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) {
    if (errno == ENOTCONN) return;  // a wakeup before the outcome: keep waiting
    return Fail(now, Status::Errno(what, errno));
  }
  // With nobody listening on a port in the ephemeral range, TCP's
  // simultaneous open can connect a socket to itself; that is not the node.
  if (::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&self), &self_len) == 0 &&
      SameEndpoint(self, peer)) {
    return Fail(now, Status::Error(what + ": connected to itself (nothing listening)"));
  }
  fd_.Reset();
  ready_ = true;
}

void ReadyProbe::Fail(TimePoint now, Status why) {
  fd_.Reset();
  last_error_ = std::move(why);
  next_attempt_ = std::max(now, started_ + kRetryInterval);
}

}  // namespace zsup
