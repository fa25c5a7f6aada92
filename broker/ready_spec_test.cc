// ParseReady: the forms of a NodeConfig's `ready` it accepts (and the
// address each names), and everything it refuses.
#include "broker/ready_spec.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <string>

namespace zsup {
namespace {

std::string Parsed(const std::string& text) {
  Result<ReadySpec> spec = ParseReady(text);
  if (!spec.ok()) return "error";
  switch (spec->kind) {
    case ReadySpec::Kind::kExec:
      return "exec";
    case ReadySpec::Kind::kNotify:
      return "notify";
    case ReadySpec::Kind::kTcp:
      return "tcp " + FormatAddress(spec->addr);
  }
  return "?";
}

TEST(ParseReadyTest, AcceptsTheDocumentedForms) {
  EXPECT_EQ(Parsed("exec"), "exec");
  EXPECT_EQ(Parsed("notify"), "notify");
  EXPECT_EQ(Parsed("tcp:8080"), "tcp 127.0.0.1:8080");
  EXPECT_EQ(Parsed("tcp:1"), "tcp 127.0.0.1:1");
  EXPECT_EQ(Parsed("tcp:65535"), "tcp 127.0.0.1:65535");
  EXPECT_EQ(Parsed("tcp:10.1.2.3:80"), "tcp 10.1.2.3:80");
  EXPECT_EQ(Parsed("tcp:localhost:80"), "tcp 127.0.0.1:80");
  EXPECT_EQ(Parsed("tcp:[::1]:80"), "tcp [::1]:80");
  EXPECT_EQ(Parsed("tcp:[fe80::1:2]:443"), "tcp [fe80::1:2]:443");
  Result<ReadySpec> v4 = ParseReady("tcp:80");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->addr.ss_family, AF_INET);
  EXPECT_EQ(v4->addr_len, sizeof(sockaddr_in));
  Result<ReadySpec> v6 = ParseReady("tcp:[::1]:80");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->addr.ss_family, AF_INET6);
  EXPECT_EQ(v6->addr_len, sizeof(sockaddr_in6));
  EXPECT_EQ(ParseReady("exec")->addr_len, 0u);
}

TEST(ParseReadyTest, RefusesEverythingElse) {
  for (const char* text : {"",
                           "xyz",
                           "notify2",
                           "Exec",
                           " exec",
                           "tcp",
                           "tcp:",
                           "tcp:0",
                           "tcp:70000",
                           "tcp:65536",
                           "tcp:-1",
                           "tcp:+80",
                           "tcp: 80",
                           "tcp:80 ",
                           "tcp:0x50",
                           "tcp:host.example:80",
                           "tcp:localhost",
                           "tcp::80",
                           "tcp:1.2.3:80",
                           "tcp:1.2.3.4:",
                           "tcp:1.2.3.4:80:90",
                           "tcp:::1:80",
                           "tcp:[::1]",
                           "tcp:[::1]80",
                           "tcp:[::1:80",
                           "tcp:[]:80",
                           "tcp:[127.0.0.1]:80",
                           "tcp:[fe80::1%eth0]:80",
                           "udp:80",
                           "tcp:123456"}) {
    EXPECT_EQ(Parsed(text), "error") << "'" << text << "'";
  }
  EXPECT_EQ(ParseReady("xyz").error(),
            "must be \"exec\", \"notify\", \"tcp:PORT\" or \"tcp:HOST:PORT\" with HOST an IP "
            "address or localhost, not 'xyz'");
}

}  // namespace
}  // namespace zsup
