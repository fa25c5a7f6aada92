// zsupd --metrics against a real HTTP client: the page parses as
// Prometheus' text format, and its values follow what happens (a revival,
// output, commands).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <regex>
#include <sstream>

#include "tests/daemon_fixture.h"

namespace zsup::testing {
namespace {

struct HttpReply {
  int code = 0;
  std::string body;
};

// One HTTP/1.0 request to 127.0.0.1:port; the whole reply.
HttpReply Http(int port, const std::string& method, const std::string& path) {
  HttpReply reply;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return reply;
  }
  const std::string request = method + " " + path + " HTTP/1.0\r\nHost: test\r\n\r\n";
  if (::write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return reply;
  }
  std::string all;
  char buf[65536];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) all.append(buf, static_cast<size_t>(n));
  ::close(fd);
  if (all.starts_with("HTTP/1.")) reply.code = std::atoi(all.c_str() + 9);
  if (size_t at = all.find("\r\n\r\n"); at != std::string::npos) reply.body = all.substr(at + 4);
  return reply;
}

// "name{labels}" -> value, checking every line's syntax on the way.
std::map<std::string, double> Parse(const std::string& page) {
  static const std::regex kSample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? (\S+)$)");
  std::map<std::string, double> values;
  std::istringstream in(page);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) continue;
    std::smatch m;
    EXPECT_TRUE(std::regex_match(line, m, kSample)) << "not a sample line: " << line;
    if (m.empty()) continue;
    values[line.substr(0, line.rfind(' '))] = std::stod(m[m.size() - 1].str());
  }
  return values;
}

class MetricsScrapeTest : public DaemonTest {
 protected:
  void Start() {
    port_ = FreePort();
    StartDaemon({"--metrics", "127.0.0.1:" + std::to_string(port_)});
  }
  std::map<std::string, double> Scrape() {
    HttpReply r = Http(port_, "GET", "/metrics");
    EXPECT_EQ(r.code, 200) << r.body;
    return Parse(r.body);
  }
  int port_ = 0;
};

TEST_F(MetricsScrapeTest, ValuesFollowARevivalOutputAndCommands) {
  Start();
  ASSERT_TRUE(Create(TestNode("m1", {"--lines=3", "--forever"})).ok());
  const int64_t pid = WaitRunning("m1");
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(WaitUntil([&] { return Scrape()["zsup_output_lines_total{node=\"m1\",stream=\"stdout\"}"] == 3; }));
  auto before = Scrape();
  EXPECT_EQ(before["zsup_node_up{node=\"m1\"}"], 1);
  EXPECT_EQ(before["zsup_node_restarts_total{node=\"m1\"}"], 0);
  EXPECT_EQ(before["zsup_output_bytes_total{node=\"m1\",stream=\"stdout\"}"], 18);
  EXPECT_EQ(before["zsup_commands_total{cmd=\"create\",ok=\"true\"}"], 1);
  EXPECT_EQ(before["zsup_stem_starts_total"], 1);
  EXPECT_GT(before["zsup_node_start_time_seconds{node=\"m1\"}"], 1.7e9);
  EXPECT_GE(before["zsup_command_duration_seconds_count"], 1);

  ::kill(static_cast<pid_t>(pid), SIGKILL);
  ASSERT_GT(WaitNewPid("m1", pid), 0);
  ASSERT_TRUE(WaitUntil([&] { return Scrape()["zsup_node_restarts_total{node=\"m1\"}"] == 1; }));
  auto after = Scrape();
  EXPECT_EQ(after["zsup_node_exits_total{node=\"m1\",signal=\"9\"}"], 1);
  EXPECT_EQ(after["zsup_node_up{node=\"m1\"}"], 1);
  EXPECT_GT(after["zsup_node_start_time_seconds{node=\"m1\"}"],
            before["zsup_node_start_time_seconds{node=\"m1\"}"]);

  EXPECT_FALSE(Create(TestNode("m1")).ok());
  EXPECT_TRUE(WaitUntil([&] { return Scrape()["zsup_commands_total{cmd=\"create\",ok=\"false\"}"] == 1; }));
  ASSERT_TRUE(Destroy("m1").ok());
  EXPECT_FALSE(Scrape().contains("zsup_node_up{node=\"m1\"}")) << "a destroyed node leaves";
}

TEST_F(MetricsScrapeTest, OnlyGetMetricsIsServed) {
  Start();
  EXPECT_EQ(Http(port_, "GET", "/").code, 404);
  EXPECT_EQ(Http(port_, "POST", "/metrics").code, 405);
  EXPECT_EQ(Http(port_, "GET", "/metrics").code, 200);
  EXPECT_TRUE(Call(EncodeRequest(PingRequest{})).ok()) << "the control socket still answers";
}

TEST_F(MetricsScrapeTest, ABadAddressStopsZsupdWithAClearError) {
  for (const char* bad : {"localhost:9100", "127.0.0.1", "127.0.0.1:99999"}) {
    CommandResult r = RunCommand({ZsupdPath(), "--state-dir", dir() + "/bad", "--stem", StemPath(),
                                  "--metrics", bad});
    EXPECT_NE(r.exit_code, 0) << bad;
    EXPECT_NE(r.err.find("--metrics"), std::string::npos) << bad << ": " << r.err;
  }
}

}  // namespace
}  // namespace zsup::testing
