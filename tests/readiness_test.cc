// Readiness and start order against the real binaries (docs/lifecycle.md):
// `ready` exec / notify (sd_notify's protocol) / tcp, `ready_timeout`,
// node_ready events, `ready` and `status_text` in status, and stages: a
// later stage waits (`waiting`) until the earlier ones are ready, also in a
// replay, and never longer than their ready_timeout.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstddef>
#include <cstring>

#include "tests/daemon_fixture.h"

namespace zsup::testing {
namespace {

bool IsReady(const Event& e, const std::string& node) {
  return e.kind == EventKind::kNodeReady && std::get<NodeReadyEvent>(e.payload).node == node;
}
bool IsStatus(const Event& e, const std::string& node) {
  return e.kind == EventKind::kNodeStatus && std::get<NodeStatusEvent>(e.payload).node == node;
}

class ReadinessTest : public DaemonTest {
 protected:
  NodeConfig Notifying(const std::string& name, int after_ms, const std::string& text) {
    NodeConfig c =
        TestNode(name, {"--ready-after-ms=" + std::to_string(after_ms), "--notify=" + text});
    c.ready = "notify";
    return c;
  }
  std::optional<NodeStatus> WaitReadyInStatus(const std::string& node) {
    std::optional<NodeStatus> s;
    WaitUntil([&] {
      s = NodeStatusOf(node);
      return s && s->ready == true;
    });
    return s;
  }
};

TEST_F(ReadinessTest, ExecReadinessComesRightAfterTheNodeStatus) {
  StartDaemon();
  auto sub = Subscribe({"node_status/a", "node_ready/a"});
  ASSERT_TRUE(Create(TestNode("a")).ok());
  auto e = sub->Next();
  ASSERT_TRUE(e && IsStatus(*e, "a")) << Log();
  const auto status = std::get<NodeStatusEvent>(e->payload);
  e = sub->Next();
  ASSERT_TRUE(e && IsReady(*e, "a")) << Log();
  EXPECT_EQ(std::get<NodeReadyEvent>(e->payload).pid, status.pid);
  EXPECT_GE(std::get<NodeReadyEvent>(e->payload).at, status.at);
  EXPECT_TRUE(WaitReadyInStatus("a"));
}

TEST_F(ReadinessTest, NotifyReadinessWaitsForReady1AndShowsTheStatusText) {
  StartDaemon();
  auto sub = Subscribe({"node_ready/n"});
  ASSERT_TRUE(Create(Notifying("n", 700, "STATUS=warming up\nREADY=1")).ok());
  const int64_t pid = WaitRunning("n");
  ASSERT_GT(pid, 0);
  auto s = NodeStatusOf("n");
  EXPECT_EQ(s->ready, false) << "running, not ready yet";
  auto e = sub->Next(seconds(10));
  ASSERT_TRUE(e && IsReady(*e, "n")) << Log();
  EXPECT_EQ(std::get<NodeReadyEvent>(e->payload).pid, pid);
  s = WaitReadyInStatus("n");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->status_text, "warming up");
}

TEST_F(ReadinessTest, OnlyTheNodesOwnProcessesMayNotifyForIt) {
  StartDaemon();
  NodeConfig c = TestNode("n", {"--print-env"});
  c.ready = "notify";
  c.ready_timeout = 30;
  ASSERT_TRUE(Create(c).ok());
  std::string socket_path;
  ASSERT_TRUE(WaitUntil([&] {
    auto tail = Tail("n", Stream::kStdout, 1000);
    if (!tail.ok()) return false;
    for (const OutputLine& l : *tail) {
      if (l.msg.starts_with("ENV NOTIFY_SOCKET=")) socket_path = l.msg.substr(18);
    }
    return !socket_path.empty();
  })) << Log();
  ASSERT_EQ(socket_path[0], '@');
  // This test process is not below the node: its READY=1 must not count.
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());
  addr.sun_path[0] = '\0';
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const std::string msg = "READY=1";
  ASSERT_EQ(::sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&addr),
                     static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_path.size())),
            static_cast<ssize_t>(msg.size()));
  ::close(fd);
  EXPECT_FALSE(WaitUntil([&] { return NodeStatusOf("n")->ready == true; }, milliseconds(1500)));
}

TEST_F(ReadinessTest, TcpReadinessWaitsUntilThePortAcceptsConnections) {
  StartDaemon();
  const int port = FreePort();
  auto sub = Subscribe({"node_ready/t"});
  NodeConfig c = TestNode("t", {"--ready-after-ms=800", "--listen=" + std::to_string(port)});
  c.ready = "tcp:" + std::to_string(port);
  ASSERT_TRUE(Create(c).ok());
  ASSERT_GT(WaitRunning("t"), 0);
  EXPECT_EQ(NodeStatusOf("t")->ready, false);
  ASSERT_TRUE(sub->WaitFor([](const Event& e) { return IsReady(e, "t"); })) << Log();
  EXPECT_TRUE(WaitReadyInStatus("t"));
}

TEST_F(ReadinessTest, NotReadyInTimeIsAFailedStartThatCountsAgainstTheStartLimit) {
  StartDaemon();
  NodeConfig c = TestNode("slow");
  c.ready = "tcp:" + std::to_string(FreePort());  // never listens
  c.ready_timeout = 0.5;
  c.start_limit_burst = 2;
  auto sub = Subscribe({"node_exit/slow", "node_failed/slow"});
  ASSERT_TRUE(Create(c).ok());
  auto e = sub->WaitFor([](const Event& x) { return x.kind == EventKind::kNodeExit; });
  ASSERT_TRUE(e) << Log();
  EXPECT_EQ(std::get<NodeExitEvent>(e->payload).signal, SIGTERM);
  EXPECT_FALSE(std::get<NodeExitEvent>(e->payload).commanded);
  e = sub->WaitFor([](const Event& x) { return x.kind == EventKind::kNodeFailed; }, seconds(15));
  ASSERT_TRUE(e) << Log();
  auto s = NodeStatusOf("slow");
  EXPECT_EQ(s->state, NodeState::kFailed);
  ASSERT_TRUE(s->last_error);
  EXPECT_NE(s->last_error->find("was not ready within 0.5 s (ready: tcp:"), std::string::npos)
      << *s->last_error;
}

TEST_F(ReadinessTest, ALaterStageWaitsUntilTheEarlierOneIsReady) {
  StartDaemon();
  auto sub = Subscribe({"node_ready/", "node_status/"});
  ApplyRequest apply;
  NodeConfig manager = Notifying("manager", 1000, "READY=1");
  NodeConfig worker = TestNode("worker");
  worker.stage = 1;
  apply.nodes = {worker, manager};
  auto reply = Call(EncodeRequest(apply));
  ASSERT_TRUE(reply.ok() && DecodeApplyReply(*reply).ok()) << Log();
  EXPECT_EQ(StateOf("worker"), NodeState::kWaiting);
  std::vector<std::string> order;
  while (order.size() < 4) {
    auto e = sub->Next(seconds(10));
    ASSERT_TRUE(e) << Log();
    order.push_back(sub->last_topic());
  }
  EXPECT_EQ(order, (std::vector<std::string>{"node_status/manager", "node_ready/manager",
                                             "node_status/worker", "node_ready/worker"}));

  // The same order when a new zsupd replays the desired state.
  ASSERT_EQ(StopDaemon(), 0);
  sub.reset();
  StartDaemon();
  sub = Subscribe({"node_ready/", "node_status/"});
  // The replay may have begun before the subscription: wait for the worker.
  auto w = sub->WaitFor([](const Event& e) { return IsStatus(e, "worker"); });
  ASSERT_TRUE(w) << Log();
  auto m = NodeStatusOf("manager");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->ready, true) << "the worker started before the manager was ready";
}

TEST_F(ReadinessTest, AStageThatIsNeverReadyHoldsTheNextOnlyForItsReadyTimeout) {
  StartDaemon();
  NodeConfig manager = TestNode("manager");
  manager.ready = "notify";  // never sends READY=1
  manager.ready_timeout = 1.5;
  NodeConfig worker = TestNode("worker");
  worker.stage = 1;
  ASSERT_TRUE(Create(manager).ok());
  ASSERT_TRUE(Create(worker).ok());
  EXPECT_EQ(StateOf("worker"), NodeState::kWaiting);
  EXPECT_FALSE(WaitRunning("worker", milliseconds(700))) << "started before the timeout";
  EXPECT_GT(WaitRunning("worker", seconds(10)), 0) << Log();
  EXPECT_NE(Log().find("node 'worker' starts although 'manager' (an earlier stage) is not ready"),
            std::string::npos)
      << Log();
}

TEST_F(ReadinessTest, RestartOfAllStartsTheStagesInOrder) {
  StartDaemon();
  NodeConfig manager = Notifying("manager", 800, "READY=1");
  NodeConfig worker = TestNode("worker");
  worker.stage = 1;
  ASSERT_TRUE(Create(manager).ok());
  ASSERT_TRUE(Create(worker).ok());
  const int64_t old_worker = WaitRunning("worker");
  ASSERT_GT(old_worker, 0) << Log();
  ASSERT_TRUE(WaitReadyInStatus("manager"));
  auto sub = Subscribe({"node_ready/manager", "node_status/worker"});
  ASSERT_TRUE(Restart("").ok());
  auto e = sub->Next(seconds(10));
  ASSERT_TRUE(e) << Log();
  EXPECT_TRUE(IsReady(*e, "manager")) << "the worker started first: " << sub->last_topic();
  EXPECT_GT(WaitNewPid("worker", old_worker), 0);
}

TEST_F(ReadinessTest, ANewLaterStageWaitsForAnEarlierOneThatApplyReplaces) {
  StartDaemon();
  ApplyRequest apply;
  apply.nodes = {Notifying("db", 600, "READY=1")};
  ASSERT_TRUE(DecodeApplyReply(*Call(EncodeRequest(apply))).ok());
  ASSERT_TRUE(WaitReadyInStatus("db"));
  auto sub = Subscribe({"node_ready/db", "node_status/web"});
  apply.nodes[0].env["V"] = "2";  // db is replaced...
  NodeConfig web = TestNode("web");
  web.stage = 1;
  apply.nodes.push_back(web);  // ...and web, new, must wait for the new db
  auto reply = DecodeApplyReply(*Call(EncodeRequest(apply)));
  ASSERT_TRUE(reply.ok()) << reply.error();
  EXPECT_EQ(reply->updated, std::vector<std::string>{"db"});
  auto e = sub->Next(seconds(10));
  ASSERT_TRUE(e) << Log();
  EXPECT_TRUE(IsReady(*e, "db")) << "web started before the new db was ready: "
                                 << sub->last_topic();
}

TEST_F(ReadinessTest, BadReadinessValuesAreRefusedNamingTheKey) {
  StartDaemon();
  NodeConfig c = TestNode("x");
  c.ready = "tcp:host.example:80";
  EXPECT_NE(Create(c).message().find("node 'x': config.ready: must be \"exec\", \"notify\""),
            std::string::npos);
  c.ready.reset();
  c.stage = -1;
  EXPECT_NE(Create(c).message().find("node 'x': config.stage: must be 0 or more, not -1"), std::string::npos);
  c.stage.reset();
  c.ready_timeout = 0;
  EXPECT_NE(Create(c).message().find("node 'x': config.ready_timeout: must be"), std::string::npos);
}

}  // namespace
}  // namespace zsup::testing
