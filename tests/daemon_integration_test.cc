// zsupd against real sockets and real processes: commands, events, state.
#include <signal.h>

#include "tests/daemon_fixture.h"

namespace zsup::testing {
namespace {

class DaemonIntegrationTest : public DaemonTest {};

TEST_F(DaemonIntegrationTest, PingAnswersVersionAndPid) {
  StartDaemon();
  auto reply = Call(EncodeRequest(PingRequest{}));
  ASSERT_TRUE(reply.ok()) << reply.error();
  auto ping = DecodePingReply(*reply);
  ASSERT_TRUE(ping.ok()) << ping.error();
  EXPECT_EQ(ping->pid, daemon_pid());
  EXPECT_EQ(ping->version, ZSUP_VERSION);
}

TEST_F(DaemonIntegrationTest, CreateRunsTheNodeAndStatusShowsIt) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("w1")).ok());
  int64_t pid = WaitRunning("w1");
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(ProcessAlive(static_cast<pid_t>(pid)));
  auto s = NodeStatusOf("w1");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->restarts, 0);
  EXPECT_EQ(s->node, TestNode("w1"));
}

TEST_F(DaemonIntegrationTest, RestartChangesPidAndEmitsExitThenStatus) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("w1")).ok());
  int64_t pid = WaitRunning("w1");
  ASSERT_GT(pid, 0);
  auto sub = Subscribe({"node_status/", "node_exit/"});
  ASSERT_TRUE(Restart("w1").ok());
  auto exit = sub->Next();
  ASSERT_TRUE(exit.has_value());
  ASSERT_EQ(exit->kind, EventKind::kNodeExit);
  const auto& e = std::get<NodeExitEvent>(exit->payload);
  EXPECT_EQ(e.pid, pid);
  EXPECT_TRUE(e.commanded);
  EXPECT_EQ(e.signal, SIGTERM);
  auto started = sub->Next();
  ASSERT_TRUE(started.has_value());
  ASSERT_EQ(started->kind, EventKind::kNodeStatus);
  const auto& st = std::get<NodeStatusEvent>(started->payload);
  EXPECT_NE(st.pid, pid);
  EXPECT_EQ(st.restarts, 1);
  EXPECT_EQ(WaitNewPid("w1", pid), st.pid);
}

}  // namespace
}  // namespace zsup::testing
