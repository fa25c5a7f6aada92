// zsupd as a process: garbage on the control socket, the state-dir lock, and
// orderly shutdown on SIGTERM.
#include <signal.h>

#include <functional>
#include <set>

#include "tests/daemon_fixture.h"

namespace zsup::testing {
namespace {

class DaemonLifecycleTest : public DaemonTest {
 protected:
  // Sends `frames` as one (multi-frame) request and returns the reply frame.
  Result<std::string> CallFrames(const std::vector<std::string>& frames) {
    zmq::socket_t req(context_, zmq::socket_type::req);
    req.set(zmq::sockopt::linger, 0);
    req.connect(control_endpoint());
    for (size_t i = 0; i < frames.size(); ++i) {
      req.send(zmq::buffer(frames[i]),
               i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
    zmq::pollitem_t item{req.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, std::chrono::milliseconds(10000)) <= 0) {
      return Status::Unreachable("no reply from zsupd");
    }
    zmq::message_t reply;
    if (!req.recv(reply)) return Status::Unreachable("no reply from zsupd");
    if (reply.more()) return Status::Error("the reply has more than one frame");
    return reply.to_string();
  }

  // Expects an `ok: false` reply whose error mentions `needle`.
  void ExpectErrorReply(const std::string& what, const std::vector<std::string>& frames,
                        const std::string& needle) {
    SCOPED_TRACE(what);
    auto reply = CallFrames(frames);
    ASSERT_TRUE(reply.ok()) << reply.error();
    Status s = DecodeOkReply(*reply);
    EXPECT_EQ(s.code(), Status::Code::kRefused) << "not an ok:false map: " << s.message();
    EXPECT_FALSE(s.message().empty());
    EXPECT_NE(s.message().find(needle), std::string::npos) << s.message();
  }
};

std::string Packed(const std::function<void(Packer&)>& body) {
  msgpack::sbuffer buf;
  Packer pk(buf);
  body(pk);
  return std::string(buf.data(), buf.size());
}

TEST_F(DaemonLifecycleTest, GarbageRequestsGetErrorRepliesAndTheDaemonKeepsServing) {
  StartDaemon();
  const std::string ping = EncodeRequest(PingRequest{});
  const std::string create = EncodeRequest(CreateRequest{TestNode("w1")});
  ExpectErrorReply("empty frame", {""}, "empty");
  ExpectErrorReply("not msgpack", {std::string("\xc1\xc1\xc1", 3)}, "msgpack");
  ExpectErrorReply("text", {"hello, zsupd"}, "");
  ExpectErrorReply("truncated", {create.substr(0, create.size() / 2)}, "truncated");
  ExpectErrorReply("huge array in 5 bytes", {std::string("\xdd\xff\xff\xff\xff", 5)}, "");
  ExpectErrorReply("huge map in 5 bytes", {std::string("\xdf\xff\xff\xff\xff", 5)}, "");
  ExpectErrorReply("trailing bytes", {ping + "x"}, "trailing");
  ExpectErrorReply("an array",
                   {Packed([](Packer& pk) { pk.pack_array(2), pk.pack(1), pk.pack(2); })}, "map");
  ExpectErrorReply("a string", {Packed([](Packer& pk) { pk.pack("ping"); })}, "map");
  ExpectErrorReply("no cmd", {Packed([](Packer& pk) { pk.pack_map(0); })}, "cmd");
  ExpectErrorReply("cmd not a string",
                   {Packed([](Packer& pk) { pk.pack_map(1), pk.pack("cmd"), pk.pack(7); })}, "cmd");
  ExpectErrorReply("unknown cmd",
                   {Packed([](Packer& pk) { pk.pack_map(1), pk.pack("cmd"), pk.pack("explode"); })},
                   "unknown command 'explode'");
  ExpectErrorReply("node not a string", {Packed([](Packer& pk) {
                     pk.pack_map(2), pk.pack("cmd"), pk.pack("status"), pk.pack("node"), pk.pack(5);
                   })},
                   "node");
  ExpectErrorReply("config not a map", {Packed([](Packer& pk) {
                     pk.pack_map(2), pk.pack("cmd"), pk.pack("create"), pk.pack("config");
                     pk.pack("w1");
                   })},
                   "config");
  ExpectErrorReply("config name not a string", {Packed([](Packer& pk) {
                     pk.pack_map(2), pk.pack("cmd"), pk.pack("create"), pk.pack("config");
                     pk.pack_map(1), pk.pack("name"), pk.pack(true);
                   })},
                   "name");
  ExpectErrorReply("unknown config key", {Packed([](Packer& pk) {
                     pk.pack_map(2), pk.pack("cmd"), pk.pack("create"), pk.pack("config");
                     pk.pack_map(2), pk.pack("name"), pk.pack("w1"), pk.pack("interfce");
                     pk.pack("eth0");
                   })},
                   "interfce");
  ExpectErrorReply("lines not an int", {Packed([](Packer& pk) {
                     pk.pack_map(3), pk.pack("cmd"), pk.pack("tail"), pk.pack("node");
                     pk.pack("w1"), pk.pack("lines"), pk.pack("many");
                   })},
                   "lines");
  ExpectErrorReply("multi-frame", {ping, ping}, "single frame");
  ExpectErrorReply("three frames", {create, "", "x"}, "single frame");

  // Still serving, and none of it created anything.
  auto reply = CallFrames({ping});
  ASSERT_TRUE(reply.ok()) << reply.error();
  auto pong = DecodePingReply(*reply);
  ASSERT_TRUE(pong.ok()) << pong.error();
  EXPECT_EQ(pong->pid, daemon_pid());
  auto status = GetStatus();
  ASSERT_TRUE(status.ok()) << status.error();
  EXPECT_TRUE(status->nodes.empty());
  EXPECT_TRUE(Create(TestNode("w1")).ok());
  EXPECT_GT(WaitRunning("w1"), 0);
}

TEST_F(DaemonLifecycleTest, RequestsFromManyClientsInterleavedWithGarbageAllGetReplies) {
  StartDaemon();
  // Several REQ sockets in flight at once: the REP socket answers each in turn.
  std::vector<zmq::socket_t> clients;
  for (int i = 0; i < 8; ++i) {
    zmq::socket_t& req = clients.emplace_back(context_, zmq::socket_type::req);
    req.set(zmq::sockopt::linger, 0);
    req.connect(control_endpoint());
    req.send(zmq::buffer(i % 2 == 0 ? EncodeRequest(PingRequest{}) : std::string("\xc1", 1)));
  }
  for (int i = 0; i < 8; ++i) {
    zmq::pollitem_t item{clients[i].handle(), 0, ZMQ_POLLIN, 0};
    ASSERT_GT(zmq::poll(&item, 1, std::chrono::milliseconds(10000)), 0) << "client " << i;
    zmq::message_t reply;
    ASSERT_TRUE(clients[i].recv(reply));
    Status s = DecodeOkReply(reply.to_string_view());
    EXPECT_EQ(s.ok(), i % 2 == 0) << i << ": " << s.message();
  }
}

TEST_F(DaemonLifecycleTest, SecondZsupdOnTheSameStateDirRefusesToStart) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("w1")).ok());
  int64_t pid = WaitRunning("w1");
  ASSERT_GT(pid, 0);
  CommandResult second =
      RunCommand({ZsupdPath(), "--state-dir", dir(), "--stem", StemPath()}, seconds(20));
  EXPECT_NE(second.exit_code, 0);
  EXPECT_NE(second.exit_code, -1) << "the second zsupd did not exit";
  EXPECT_NE(second.err.find("already uses"), std::string::npos) << second.err;
  EXPECT_NE(second.err.find(std::to_string(daemon_pid())), std::string::npos) << second.err;
  // The first one is unharmed: same node, same process, still answering.
  auto s = NodeStatusOf("w1");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->pid, pid);
  EXPECT_TRUE(ProcessAlive(static_cast<pid_t>(pid)));
  auto ping = Call(EncodeRequest(PingRequest{}));
  ASSERT_TRUE(ping.ok()) << ping.error();
  auto pong = DecodePingReply(*ping);
  ASSERT_TRUE(pong.ok());
  EXPECT_EQ(pong->pid, daemon_pid());
}

TEST_F(DaemonLifecycleTest, SigtermStopsEveryNodeAndTheStemThenExitsZero) {
  StartDaemon();
  // Subscribed before the nodes start, so their node_status shows that the
  // subscription is in effect.
  auto sub = Subscribe({"node_exit/", "node_status/"});
  ASSERT_TRUE(Create(TestNode("w1")).ok());
  ASSERT_TRUE(Create(TestNode("w2", {"--on-sigterm-exit=0"})).ok());
  ASSERT_TRUE(sub->Next().has_value());
  ASSERT_TRUE(sub->Next().has_value());
  const int64_t w1 = WaitRunning("w1"), w2 = WaitRunning("w2");
  ASSERT_GT(w1, 0);
  ASSERT_GT(w2, 0);
  const pid_t stem = StemPid();
  ASSERT_GT(stem, 0);
  ASSERT_TRUE(ProcessAlive(stem));

  EXPECT_EQ(StopDaemon(seconds(20)), 0);
  // Stopped before zsupd exited, not left to the kernel or the grace period.
  EXPECT_FALSE(ProcessAlive(static_cast<pid_t>(w1)));
  EXPECT_FALSE(ProcessAlive(static_cast<pid_t>(w2)));
  EXPECT_FALSE(ProcessAlive(stem));
  std::set<std::string> exited;
  while (auto e = sub->Next(milliseconds(500))) {
    if (e->kind == EventKind::kNodeExit) {
      const auto& exit = std::get<NodeExitEvent>(e->payload);
      EXPECT_TRUE(exit.commanded) << exit.node;
      exited.insert(exit.node);
    }
  }
  EXPECT_EQ(exited, (std::set<std::string>{"w1", "w2"}));
  EXPECT_NE(Log().find("received SIGTERM"), std::string::npos);
}

// Stopping many nodes at once makes the stem's last report (every exit, then
// Bye) far larger than the link's queues: it must still all arrive before
// the stem closes the link.
TEST_F(DaemonLifecycleTest, AnOrderlyStopOfManyNodesReportsEveryExit) {
  StartDaemon({"--no-echo"});
  auto sub = Subscribe({"node_exit/n"});
  constexpr int kNodes = 300;
  for (int i = 0; i < kNodes; ++i) ASSERT_TRUE(Create(TestNode("n" + std::to_string(i))).ok());
  ASSERT_TRUE(WaitUntil([&] {
    auto status = GetStatus();
    if (!status.ok() || status->nodes.size() != kNodes) return false;
    for (const auto& [name, s] : status->nodes) {
      if (s.state != NodeState::kRunning) return false;
    }
    return true;
  }));
  EXPECT_EQ(StopDaemon(seconds(30)), 0);
  std::set<std::string> exited;
  while (auto e = sub->Next(milliseconds(500))) {
    exited.insert(std::get<NodeExitEvent>(e->payload).node);
  }
  EXPECT_EQ(exited.size(), static_cast<size_t>(kNodes));
  EXPECT_EQ(Log().find("without its final report"), std::string::npos) << Log();
}

}  // namespace
}  // namespace zsup::testing
