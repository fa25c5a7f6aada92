// ReadyProbe against real sockets on the loopback interface (ParseReady's
// forms are in broker/ready_spec_test.cc). Probe time is a fake clock; only the sockets are real,
// and the tests wait for them with poll(), never a sleep.
#include "stem/ready_probe.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace zsup {
namespace {

using std::chrono::milliseconds;

const TimePoint kT0 = TimePoint() + std::chrono::hours(1);

// A TCP socket bound to 127.0.0.1:`port` (0: any free port), listening if
// `listen`. Returns it and its port.
std::pair<UniqueFd, uint16_t> Bound(uint16_t port, bool listen) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const int on = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  if (listen) {
    EXPECT_EQ(::listen(fd.get(), 16), 0);
  }
  socklen_t len = sizeof sa;
  EXPECT_EQ(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sa), &len), 0);
  return {std::move(fd), ntohs(sa.sin_port)};
}

ReadySpec Spec(const std::string& text) {
  Result<ReadySpec> spec = ParseReady(text);
  EXPECT_TRUE(spec.ok()) << spec.error();
  return spec.ok() ? *spec : ReadySpec{};
}

// Waits (up to 5 s) for the attempt in flight, if any, to have an outcome.
void Settle(ReadyProbe& probe, TimePoint now) {
  if (probe.fd() < 0) return;
  pollfd p{probe.fd(), POLLOUT, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  probe.OnWritable(now);
}

TEST(ReadyProbeTest, ReadyWhenSomethingListens) {
  auto [listener, port] = Bound(0, true);
  ReadyProbe probe(Spec("tcp:" + std::to_string(port)));
  ASSERT_TRUE(probe.deadline().has_value());
  EXPECT_LE(*probe.deadline(), kT0);  // the first attempt is due at once
  EXPECT_EQ(probe.fd(), -1);
  probe.Tick(kT0);
  Settle(probe, kT0 + milliseconds(1));
  EXPECT_TRUE(probe.ready()) << probe.last_error().message();
  EXPECT_EQ(probe.fd(), -1);
  EXPECT_FALSE(probe.deadline().has_value());
}

TEST(ReadyProbeTest, RetriesEvery100msUntilThePortListens) {
  uint16_t port = 0;
  {
    auto [fd, free_port] = Bound(0, false);
    port = free_port;
  }
  ReadyProbe probe(Spec("tcp:127.0.0.1:" + std::to_string(port)));
  probe.Tick(kT0);
  Settle(probe, kT0);
  EXPECT_FALSE(probe.ready());
  EXPECT_EQ(probe.fd(), -1);
  EXPECT_EQ(probe.deadline(), kT0 + ReadyProbe::kRetryInterval);
  EXPECT_NE(probe.last_error().message().find(std::strerror(ECONNREFUSED)), std::string::npos)
      << probe.last_error().message();

  probe.Tick(kT0 + milliseconds(50));  // early: nothing happens
  EXPECT_EQ(probe.fd(), -1);
  EXPECT_EQ(probe.deadline(), kT0 + ReadyProbe::kRetryInterval);

  auto [listener, same_port] = Bound(port, true);
  ASSERT_EQ(same_port, port);
  probe.Tick(kT0 + milliseconds(100));
  Settle(probe, kT0 + milliseconds(101));
  EXPECT_TRUE(probe.ready()) << probe.last_error().message();
  EXPECT_EQ(probe.fd(), -1);
}

TEST(ReadyProbeTest, AbandonsAnAttemptInFlightAfterOneSecond) {
  auto [listener, port] = Bound(0, true);
  ReadyProbe probe(Spec("tcp:" + std::to_string(port)));
  probe.Tick(kT0);
  if (probe.fd() < 0) GTEST_SKIP() << "connect did not stay in flight";
  // The outcome is never read (no OnWritable), so to the probe it hangs.
  EXPECT_EQ(probe.deadline(), kT0 + ReadyProbe::kAttemptTimeout);
  probe.Tick(kT0 + milliseconds(999));
  EXPECT_GE(probe.fd(), 0);
  probe.Tick(kT0 + ReadyProbe::kAttemptTimeout);  // abandoned, and a new attempt started
  EXPECT_NE(probe.last_error().message().find("no answer"), std::string::npos);
  EXPECT_FALSE(probe.ready());
  if (probe.fd() >= 0) {
    EXPECT_EQ(probe.deadline(), kT0 + 2 * ReadyProbe::kAttemptTimeout);
    Settle(probe, kT0 + ReadyProbe::kAttemptTimeout);
  }
  EXPECT_TRUE(probe.ready()) << probe.last_error().message();
}

TEST(ReadyProbeTest, ConnectsOverIpv6) {
  UniqueFd fd(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_addr = in6addr_loopback;
  socklen_t len = sizeof sa;
  if (!fd || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    GTEST_SKIP() << "no IPv6 loopback";
  }
  ASSERT_EQ(::listen(fd.get(), 4), 0);
  ASSERT_EQ(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sa), &len), 0);
  ReadyProbe probe(Spec("tcp:[::1]:" + std::to_string(ntohs(sa.sin6_port))));
  probe.Tick(kT0);
  Settle(probe, kT0);
  EXPECT_TRUE(probe.ready()) << probe.last_error().message();
}

}  // namespace
}  // namespace zsup
