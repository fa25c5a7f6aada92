#include "tools/zsupctl/hosts.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>

#include "broker/curve.h"

namespace zsup::ctl {
namespace {

namespace fs = std::filesystem;

// A temporary directory with a server key and a client secret in it.
class HostsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zsup-hosts-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto server = NewCurveKeyPair();
    auto client = NewCurveKeyPair();
    ASSERT_TRUE(server.ok() && client.ok());
    server_public_ = server->public_z85;
    client_secret_ = client->secret_z85;
    ASSERT_TRUE(WriteKeyFile(dir_ + "/alpha.key", server->public_z85, 0644).ok());
    ASSERT_TRUE(WriteKeyFile(dir_ + "/ops.secret", client->secret_z85, 0600).ok());
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string file() const { return dir_ + "/hosts.ini"; }
  Result<std::vector<HostEntry>> Parse(const std::string& text, const std::string& client = "") {
    return ParseHostsFile(text, file(), client);
  }

  std::string dir_, server_public_, client_secret_;
};

TEST_F(HostsTest, SectionsBecomeHostsWithTheirKeys) {
  auto hosts = Parse(
      "[alpha]\n"
      "control = tcp://10.1.2.3:27760\n"
      "events = tcp://10.1.2.3:27761\n"
      "server_key = alpha.key\n"
      "client_key = ops.secret\n"
      "\n"
      "[beta]\n"
      "control = tcp://[fd00::2]:27760\n"
      "events = tcp://[fd00::2]:27761\n");
  ASSERT_TRUE(hosts.ok()) << hosts.error();
  ASSERT_EQ(hosts->size(), 2u);
  const HostEntry& alpha = (*hosts)[0];
  EXPECT_EQ(alpha.name, "alpha");
  EXPECT_EQ(alpha.endpoints.control, "tcp://10.1.2.3:27760");
  EXPECT_EQ(alpha.endpoints.events, "tcp://10.1.2.3:27761");
  ASSERT_TRUE(alpha.endpoints.curve.has_value()) << "relative key files are read beside the file";
  EXPECT_EQ(alpha.endpoints.curve->server_public, server_public_);
  EXPECT_EQ(alpha.endpoints.curve->client_secret, client_secret_);
  EXPECT_FALSE(alpha.local);
  EXPECT_FALSE((*hosts)[1].endpoints.curve.has_value()) << "no server_key: plain tcp";
}

TEST_F(HostsTest, TheClientKeyDefaultsToTheOneGivenAndDefaultSectionsApply) {
  auto hosts = Parse(
      "[DEFAULT]\n"
      "server_key = alpha.key\n"
      "[alpha]\n"
      "control = tcp://127.0.0.1:1\n"
      "events = tcp://127.0.0.1:2\n",
      dir_ + "/ops.secret");
  ASSERT_TRUE(hosts.ok()) << hosts.error();
  ASSERT_TRUE((*hosts)[0].endpoints.curve.has_value());
  EXPECT_EQ((*hosts)[0].endpoints.curve->client_secret, client_secret_);
  EXPECT_TRUE((*hosts)[0].local) << "127.0.0.1 is this machine";
}

TEST_F(HostsTest, IpcIsThisMachine) {
  auto hosts = Parse("[here]\ncontrol = ipc:///run/zsup/control\nevents = ipc:///run/zsup/events\n");
  ASSERT_TRUE(hosts.ok()) << hosts.error();
  EXPECT_TRUE((*hosts)[0].local);
}

TEST_F(HostsTest, MistakesAreErrorsWithTheirLine) {
  const struct {
    std::string text;
    std::string error;
  } cases[] = {
      {"", "no hosts"},
      {"[a]\nevents = tcp://h:2\n", "hosts.ini:1: [a]: 'control' is required"},
      {"[a]\ncontrol = tcp://h:1\n", "hosts.ini:1: [a]: 'events' is required"},
      {"[a]\ncontrol = udp://h:1\nevents = tcp://h:2\n", "hosts.ini:2: [a]: control 'udp://h:1' is neither"},
      {"[a]\ncontrol = tcp://h:1\nevents = tcp://h:2\nserverkey = x\n",
       "hosts.ini:4: [a]: unknown key 'serverkey'"},
      {"[a]\ncontrol = tcp://h:1\nevents = tcp://h:2\nserver_key = alpha.key\n",
       "hosts.ini:4: [a]: CURVE needs this client's secret key"},
      {"[a]\ncontrol = tcp://h:1\nevents = tcp://h:2\nclient_key = ops.secret\n",
       "hosts.ini:4: [a]: client_key without server_key"},
      {"[a]\ncontrol = tcp://h:1\nevents = tcp://h:2\nserver_key = missing.key\nclient_key = "
       "ops.secret\n",
       "hosts.ini:4: [a]: "},
      {"[a]\ncontrol = ipc:///x\nevents = ipc:///y\nserver_key = alpha.key\n",
       "server_key is for tcp endpoints"},
      {"[a]\ncontrol = tcp://h:1\nevents = tcp://h:2\n[a]\n", "hosts.ini:4"},
  };
  for (const auto& c : cases) {
    auto hosts = Parse(c.text);
    ASSERT_FALSE(hosts.ok()) << c.text;
    EXPECT_NE(hosts.error().find(c.error), std::string::npos) << hosts.error();
  }
}

TEST_F(HostsTest, HostOptionNarrowsTheFleet) {
  const std::string text =
      "[a]\ncontrol = tcp://h:1\nevents = tcp://h:2\n[b]\ncontrol = tcp://i:1\nevents = tcp://i:2\n";
  FILE* f = std::fopen(file().c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs(text.c_str(), f);
  std::fclose(f);
  GlobalOptions g;
  g.hosts_file = file();
  EXPECT_EQ(ReadHosts(g)->size(), 2u);
  g.only_hosts = {"b", "b"};
  auto one = ReadHosts(g);
  ASSERT_TRUE(one.ok()) << one.error();
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ(one->front().name, "b");
  g.only_hosts = {"c"};
  auto none = ReadHosts(g);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().find("--host c: " + file() + " has no such section (it has a, b)"),
            std::string::npos)
      << none.error();
  GlobalOptions no_file;
  no_file.only_hosts = {"a"};
  if (::getenv("ZSUP_HOSTS") == nullptr) {
    EXPECT_FALSE(ReadHosts(no_file).ok());
  }
}

TEST(EndpointHostTest, HostPart) {
  EXPECT_EQ(EndpointHost("tcp://10.0.0.1:27760"), "10.0.0.1");
  EXPECT_EQ(EndpointHost("tcp://[::1]:27760"), "::1");
  EXPECT_EQ(EndpointHost("tcp://zeek-1.example.net:1"), "zeek-1.example.net");
  EXPECT_EQ(EndpointHost("ipc:///run/zsup/control"), "");
}

}  // namespace
}  // namespace zsup::ctl
