#include "supervisor/node_api.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>

#include "supervisor/supervisor.h"

namespace zsup {
namespace {

class NodeApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("ZEEK_SUPERVISED_NODE");
    unsetenv("ZEEK_SUPERVISED_NODE_FILE");
  }
  void TearDown() override { SetUp(); }
};

TEST_F(NodeApiTest, NotSupervised) {
  EXPECT_FALSE(node::IsSupervised());
  EXPECT_EQ(node::Node().error(), "not running under zsup (ZEEK_SUPERVISED_NODE is not set)");
}

TEST_F(NodeApiTest, FromEnvironment) {
  NodeConfig c;
  c.name = "w1";
  c.interface = "eth0";
  setenv("ZEEK_SUPERVISED_NODE", NodeConfigToJson(c).c_str(), 1);
  EXPECT_TRUE(node::IsSupervised());
  auto me = node::Node();
  ASSERT_TRUE(me.ok()) << me.error();
  EXPECT_EQ(*me, c);
}

TEST_F(NodeApiTest, FromFile) {
  NodeConfig c;
  c.name = "big";
  c.env["X"] = std::string(200000, 'x');
  char path[] = "/tmp/zsup-node-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string json = NodeConfigToJson(c);
  ASSERT_EQ(write(fd, json.data(), json.size()), static_cast<ssize_t>(json.size()));
  close(fd);
  setenv("ZEEK_SUPERVISED_NODE_FILE", path, 1);
  auto me = node::Node();
  unlink(path);
  ASSERT_TRUE(me.ok()) << me.error();
  EXPECT_EQ(me->env.at("X").size(), 200000u);
}

TEST_F(NodeApiTest, BadJsonIsAnError) {
  setenv("ZEEK_SUPERVISED_NODE", "{", 1);
  EXPECT_EQ(node::Node().error(), "ZEEK_SUPERVISED_NODE: not valid JSON");
}

TEST(SupervisorApiTest, IsSupervisorOnceOneExists) {
  // In a fresh process: the flag is process-wide and other tests set it.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        const bool before = IsSupervisor();
        Supervisor s(SupervisorOptions{});
        std::_Exit(!before && IsSupervisor() ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace zsup
