// zsupd against real sockets and real processes: every control command, its
// replies and its exact error strings (PROTOCOL.md, "Control socket").
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <set>

#include "broker/fd.h"
#include "broker/json.h"
#include "tests/daemon_fixture.h"

namespace zsup::testing {
namespace {

class DaemonIntegrationTest : public DaemonTest {
 protected:
  // Expects `status` to be an `ok: false` reply carrying exactly `error`.
  static void ExpectRefused(const Status& status, const std::string& error) {
    EXPECT_EQ(status.code(), Status::Code::kRefused) << status.message();
    EXPECT_EQ(status.message(), error);
  }

  // Names of the nodes `status` lists.
  std::set<std::string> ListedNodes() {
    std::set<std::string> names;
    auto status = GetStatus();
    EXPECT_TRUE(status.ok()) << status.error();
    if (status.ok()) {
      for (const auto& [name, s] : status->nodes) names.insert(name);
    }
    return names;
  }

  // Waits until tail of `node`'s `stream` ends with `last` (a line's msg).
  bool WaitTailEndsWith(const std::string& node, Stream stream, const std::string& last) {
    return WaitUntil([&] {
      auto lines = Tail(node, stream, 1);
      return lines.ok() && !lines->empty() && lines->back().msg == last;
    });
  }
};

// A request map packed by hand, for shapes EncodeRequest cannot make.
std::string Packed(const std::function<void(Packer&)>& body) {
  msgpack::sbuffer buf;
  Packer pk(buf);
  body(pk);
  return std::string(buf.data(), buf.size());
}

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
  // Subscribed before the node starts: its first node_status shows that the
  // subscription is in effect (a PUB socket drops what comes before).
  auto sub = Subscribe({"node_status/", "node_exit/"});
  ASSERT_TRUE(Create(TestNode("w1")).ok());
  int64_t pid = WaitRunning("w1");
  ASSERT_GT(pid, 0);
  auto first = sub->Next();
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(first->kind, EventKind::kNodeStatus);
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

// ---- create ----

TEST_F(DaemonIntegrationTest, CreateRefusesWithZeeksExactErrors) {
  StartDaemon();
  ExpectRefused(Create(TestNode("")), "node names must not be an empty string");
  ExpectRefused(Create(TestNode("a b")), "node names must not contain spaces: 'a b'");
  ExpectRefused(Create(TestNode("tab\there")), "node names must not contain spaces: 'tab\there'");
  ASSERT_TRUE(Create(TestNode("w1")).ok());
  ExpectRefused(Create(TestNode("w1", {"--exit=1"})), "node with name 'w1' already exists");
  NodeConfig both = TestNode("w2");
  both.interface = "eth0";
  both.pcap_file = "/tmp/x.pcap";
  ExpectRefused(Create(both), "node with name 'w2' has interface and pcap_file set");
  // Only w1 exists, with its first config.
  EXPECT_EQ(ListedNodes(), std::set<std::string>{"w1"});
  auto s = NodeStatusOf("w1");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->node, TestNode("w1"));
}

TEST_F(DaemonIntegrationTest, CreateRefusesSlashControlCharactersAndOverlongNames) {
  StartDaemon();
  const std::string names[] = {"a/b", "../up", std::string("bell\x07"), std::string("del\x7f"),
                               std::string(256, 'n')};
  for (const std::string& name : names) {
    Status s = Create(TestNode(name));
    EXPECT_EQ(s.code(), Status::Code::kRefused) << "name '" << name << "' was accepted";
    EXPECT_TRUE(s.message().starts_with("node names must")) << s.message();
  }
  EXPECT_NE(Create(TestNode("a/b")).message().find("'/'"), std::string::npos);
  EXPECT_NE(Create(TestNode(std::string(256, 'n'))).message().find("255"), std::string::npos);
  EXPECT_TRUE(ListedNodes().empty());
  // 255 bytes is still fine.
  EXPECT_TRUE(Create(TestNode(std::string(255, 'n'))).ok());
}

TEST_F(DaemonIntegrationTest, CreateMakesTheDirectoryLikeMkdirPBeforeReplying) {
  StartDaemon();
  const std::string directory = dir() + "/nodes/a/b";
  NodeConfig c = TestNode("w1", {"--print-cwd"});
  c.directory = directory;
  ASSERT_TRUE(Create(c).ok());
  struct stat st {};
  ASSERT_EQ(::stat(directory.c_str(), &st), 0) << "no directory right after the reply";
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_TRUE(WaitTailEndsWith("w1", Stream::kStdout, "CWD " + directory));
  // A second node in the same, now existing, directory is fine too.
  c.name = "w2";
  EXPECT_TRUE(Create(c).ok());
}

// ---- destroy ----

TEST_F(DaemonIntegrationTest, DestroyRemovesTheNodeThenReportsACommandedExit) {
  StartDaemon();
  auto sub = Subscribe({"node_exit/", "node_status/"});
  ASSERT_TRUE(Create(TestNode("w1")).ok());
  ASSERT_TRUE(Create(TestNode("w2")).ok());
  int64_t pid = WaitRunning("w1");
  ASSERT_GT(pid, 0);
  ASSERT_GT(WaitRunning("w2"), 0);
  ASSERT_TRUE(sub->Next().has_value());  // the two node_status: subscribed
  ASSERT_TRUE(sub->Next().has_value());
  ASSERT_TRUE(Destroy("w1").ok());
  // At once, not eventually.
  EXPECT_EQ(ListedNodes(), std::set<std::string>{"w2"});
  auto status = GetStatus("w1");
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(status->nodes.empty());
  auto exit = sub->Next();
  ASSERT_TRUE(exit.has_value());
  ASSERT_EQ(exit->kind, EventKind::kNodeExit);
  const auto& e = std::get<NodeExitEvent>(exit->payload);
  EXPECT_EQ(e.node, "w1");
  EXPECT_EQ(e.pid, pid);
  EXPECT_TRUE(e.commanded);
  EXPECT_TRUE(WaitUntil([&] { return !ProcessAlive(static_cast<pid_t>(pid)); }));
  // The name is free again.
  EXPECT_TRUE(Create(TestNode("w1")).ok());
  EXPECT_GT(WaitNewPid("w1", pid), 0);
}

TEST_F(DaemonIntegrationTest, DestroyOfAnUnknownNodeIsAnError) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("w1")).ok());
  Status s = Destroy("nope");
  EXPECT_EQ(s.code(), Status::Code::kRefused);
  EXPECT_NE(s.message().find("nope"), std::string::npos) << s.message();
  EXPECT_EQ(ListedNodes(), std::set<std::string>{"w1"});
}

TEST_F(DaemonIntegrationTest, DestroyWithEmptyOrAbsentNameDestroysEveryNode) {
  StartDaemon();
  std::vector<int64_t> pids;
  for (const char* name : {"a", "b", "c"}) {
    ASSERT_TRUE(Create(TestNode(name)).ok());
    pids.push_back(WaitRunning(name));
    ASSERT_GT(pids.back(), 0);
  }
  ASSERT_TRUE(Destroy("").ok());
  EXPECT_TRUE(ListedNodes().empty());
  for (int64_t pid : pids) {
    EXPECT_TRUE(WaitUntil([&] { return !ProcessAlive(static_cast<pid_t>(pid)); })) << pid;
  }
  ASSERT_TRUE(Create(TestNode("d")).ok());
  ASSERT_TRUE(Create(TestNode("e")).ok());
  auto reply = Call(Packed([](Packer& pk) { pk.pack_map(1), pk.pack("cmd"), pk.pack("destroy"); }));
  ASSERT_TRUE(reply.ok()) << reply.error();
  EXPECT_TRUE(DecodeOkReply(*reply).ok());
  EXPECT_TRUE(ListedNodes().empty());
}

// ---- restart ----

TEST_F(DaemonIntegrationTest, RestartOfAnUnknownNodeIsAnError) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("w1")).ok());
  int64_t pid = WaitRunning("w1");
  Status s = Restart("w2");
  EXPECT_EQ(s.code(), Status::Code::kRefused);
  EXPECT_NE(s.message().find("w2"), std::string::npos) << s.message();
  auto st = NodeStatusOf("w1");
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->pid, pid);
  EXPECT_EQ(st->restarts, 0);
}

TEST_F(DaemonIntegrationTest, RestartWithEmptyOrAbsentNameRestartsEveryNode) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("a")).ok());
  ASSERT_TRUE(Create(TestNode("b")).ok());
  int64_t a = WaitRunning("a"), b = WaitRunning("b");
  ASSERT_GT(a, 0);
  ASSERT_GT(b, 0);
  ASSERT_TRUE(Restart("").ok());
  int64_t a2 = WaitNewPid("a", a), b2 = WaitNewPid("b", b);
  EXPECT_GT(a2, 0);
  EXPECT_GT(b2, 0);
  auto reply = Call(Packed([](Packer& pk) { pk.pack_map(1), pk.pack("cmd"), pk.pack("restart"); }));
  ASSERT_TRUE(reply.ok()) << reply.error();
  EXPECT_TRUE(DecodeOkReply(*reply).ok());
  EXPECT_GT(WaitNewPid("a", a2), 0);
  EXPECT_GT(WaitNewPid("b", b2), 0);
  auto st = NodeStatusOf("a");
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->restarts, 2);
  ASSERT_TRUE(st->last_exit.has_value());
  EXPECT_EQ(st->last_exit->signal, SIGTERM);
}

// ---- status ----

TEST_F(DaemonIntegrationTest, StatusOfAnUnknownNodeIsAnEmptyMapNotAnError) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("w1")).ok());
  auto status = GetStatus("nope");
  ASSERT_TRUE(status.ok()) << status.error();
  EXPECT_TRUE(status->nodes.empty());
}

TEST_F(DaemonIntegrationTest, StatusListsEveryNodeOrJustTheOneAsked) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("w1")).ok());
  ASSERT_TRUE(Create(TestNode("w10")).ok());
  int64_t pid = WaitRunning("w1");
  ASSERT_GT(pid, 0);
  EXPECT_EQ(ListedNodes(), (std::set<std::string>{"w1", "w10"}));
  auto one = GetStatus("w1");
  ASSERT_TRUE(one.ok()) << one.error();
  ASSERT_EQ(one->nodes.size(), 1u);
  const NodeStatus& s = one->nodes.at("w1");
  EXPECT_EQ(s.pid, pid);
  EXPECT_EQ(s.state, NodeState::kRunning);
  EXPECT_EQ(s.restarts, 0);
  EXPECT_TRUE(s.started_at.has_value());
  EXPECT_FALSE(s.last_exit.has_value());
  // Absent `node` is every node, like "".
  auto reply = Call(Packed([](Packer& pk) { pk.pack_map(1), pk.pack("cmd"), pk.pack("status"); }));
  ASSERT_TRUE(reply.ok());
  auto all = DecodeStatusReply(*reply);
  ASSERT_TRUE(all.ok()) << all.error();
  EXPECT_EQ(all->nodes.size(), 2u);
}

// ---- tail ----

TEST_F(DaemonIntegrationTest, TailKeepsStdoutAndStderrApartOldestFirst) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("w1", {"--print-pid", "--lines=5", "--stream=stderr"})).ok());
  ASSERT_TRUE(WaitTailEndsWith("w1", Stream::kStderr, "line 5"));
  auto err = Tail("w1", Stream::kStderr, 100);
  ASSERT_TRUE(err.ok()) << err.error();
  ASSERT_EQ(err->size(), 5u);
  for (size_t i = 0; i < err->size(); ++i) {
    EXPECT_EQ((*err)[i].msg, "line " + std::to_string(i + 1));
    if (i > 0) {
      EXPECT_EQ((*err)[i].seq, (*err)[i - 1].seq + 1);
      EXPECT_GE((*err)[i].at, (*err)[i - 1].at);
    }
  }
  auto out = Tail("w1", Stream::kStdout, 100);
  ASSERT_TRUE(out.ok()) << out.error();
  ASSERT_EQ(out->size(), 1u);
  EXPECT_TRUE(out->front().msg.starts_with("PID ")) << out->front().msg;
  // `lines` limits to the newest, still oldest first.
  auto last2 = Tail("w1", Stream::kStderr, 2);
  ASSERT_TRUE(last2.ok());
  ASSERT_EQ(last2->size(), 2u);
  EXPECT_EQ((*last2)[0].msg, "line 4");
  EXPECT_EQ((*last2)[1].msg, "line 5");
  auto none = Tail("w1", Stream::kStderr, 0);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(DaemonIntegrationTest, TailKeepsTheNewestThousandLines) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("w1", {"--lines=1500"})).ok());
  ASSERT_TRUE(WaitTailEndsWith("w1", Stream::kStdout, "line 1500"));
  auto lines = Tail("w1", Stream::kStdout, 5000);
  ASSERT_TRUE(lines.ok()) << lines.error();
  ASSERT_EQ(lines->size(), 1000u);
  for (size_t i = 0; i < lines->size(); ++i) {
    ASSERT_EQ((*lines)[i].msg, "line " + std::to_string(501 + i));
    if (i > 0) {
      ASSERT_EQ((*lines)[i].seq, (*lines)[i - 1].seq + 1);
    }
  }
}

TEST_F(DaemonIntegrationTest, TailBoundsAStreamToOneMebibyte) {
  StartDaemon();
  // 200 lines of 10,000 bytes: 2 MB, twice the bound.
  ASSERT_TRUE(Create(TestNode("w1", {"--lines=200", "--line-bytes=10000", "--burst"})).ok());
  ASSERT_TRUE(WaitUntil([&] {
    auto lines = Tail("w1", Stream::kStdout, 1);
    return lines.ok() && !lines->empty() && lines->back().msg.starts_with("line 200 ");
  }));
  auto lines = Tail("w1", Stream::kStdout, 1000);
  ASSERT_TRUE(lines.ok()) << lines.error();
  size_t bytes = 0;
  for (const OutputLine& l : *lines) bytes += l.msg.size();
  EXPECT_LE(bytes, size_t{1} << 20);
  EXPECT_GE(bytes, (size_t{1} << 20) - 10000) << "the bound drops far more than it needs to";
  ASSERT_FALSE(lines->empty());
  EXPECT_LT(lines->size(), 200u);
  EXPECT_TRUE(lines->back().msg.starts_with("line 200 "));
  for (size_t i = 1; i < lines->size(); ++i) EXPECT_EQ((*lines)[i].seq, (*lines)[i - 1].seq + 1);
}

TEST_F(DaemonIntegrationTest, TailOfAnUnknownNodeIsAnError) {
  StartDaemon();
  auto lines = Tail("nope", Stream::kStdout, 10);
  ASSERT_FALSE(lines.ok());
  EXPECT_EQ(lines.status().code(), Status::Code::kRefused);
  EXPECT_NE(lines.error().find("nope"), std::string::npos) << lines.error();
}

}  // namespace
}  // namespace zsup::testing

// ---- Zeek mode and systemd readiness, end to end ----
namespace zsup::testing {
namespace {

// Without `command`, the node is the --zeek binary run with Zeek's options:
// here a script that prints what it got.
TEST_F(DaemonIntegrationTest, WithoutCommandTheZeekBinaryRunsWithZeeksOptions) {
  const std::string zeek = dir() + "/fake-zeek";
  {
    std::ofstream f(zeek);
    f << "#!/bin/sh\necho \"args: $*\"\necho \"cluster node: $CLUSTER_NODE\"\n"
         "echo \"$ZEEK_SUPERVISED_NODE\"\nexec sleep 60\n";
  }
  ASSERT_EQ(::chmod(zeek.c_str(), 0755), 0);
  StartDaemon({"--zeek", zeek});
  NodeConfig c;
  c.name = "worker-1";
  c.bare_mode = true;
  c.interface = "eth7";
  c.addl_base_scripts = {"base.zeek"};
  c.scripts = {"node.zeek"};
  c.addl_user_scripts = {"user.zeek", "more.zeek"};
  c.cluster["worker-1"] = {ClusterRole::kWorker, "127.0.0.1", {27761, "tcp"}, {}, {}, {}};
  ASSERT_TRUE(Create(c).ok());
  ASSERT_TRUE(WaitUntil([&] {
    auto lines = Tail("worker-1", Stream::kStdout, 3);
    return lines.ok() && lines->size() == 3;
  })) << Log();
  auto lines = Tail("worker-1", Stream::kStdout, 3);
  ASSERT_TRUE(lines.ok());
  // Without cluster_backend no layout script (zsupctl cluster's nodes have one).
  EXPECT_EQ((*lines)[0].msg, "args: -b -i eth7 base.zeek node.zeek user.zeek more.zeek");
  EXPECT_EQ((*lines)[1].msg, "cluster node: worker-1");
  auto json = NodeConfigFromJson((*lines)[2].msg);
  ASSERT_TRUE(json.ok()) << json.error() << ": " << (*lines)[2].msg;
  EXPECT_EQ(*json, c);
}

// zsupd under systemd (Type=notify): READY=1 on $NOTIFY_SOCKET, and the
// variable is not passed on to the nodes.
TEST_F(DaemonIntegrationTest, ReadinessGoesToNotifySocketWhichNodesDoNotInherit) {
  const std::string path = dir() + "/notify.sock";
  UniqueFd sock(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(sock);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(path.size(), sizeof addr.sun_path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(::bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  StartDaemon();
  ::unsetenv("NOTIFY_SOCKET");

  pollfd p{sock.get(), POLLIN, 0};
  std::string received;
  char buf[256];
  while (received.find("READY=1") == std::string::npos && ::poll(&p, 1, 10000) > 0) {
    ssize_t n = ::recv(sock.get(), buf, sizeof buf, 0);
    if (n <= 0) break;
    received.append(buf, static_cast<size_t>(n)).append("\n");
  }
  EXPECT_NE(received.find("READY=1"), std::string::npos) << received;

  ASSERT_TRUE(Create(TestNode("w1", {"--print-env"})).ok());
  ASSERT_TRUE(WaitUntil([&] {
    auto lines = Tail("w1", Stream::kStdout, 1000);
    if (!lines.ok()) return false;
    for (const OutputLine& l : *lines) {
      if (l.msg.starts_with("ENV ZEEK_SUPERVISED_NODE=")) return true;
    }
    return false;
  })) << Log();
  auto lines = Tail("w1", Stream::kStdout, 1000);
  ASSERT_TRUE(lines.ok());
  for (const OutputLine& l : *lines) EXPECT_FALSE(l.msg.starts_with("ENV NOTIFY_SOCKET=")) << l.msg;

  // And STOPPING=1 when it stops (libsystemd is loaded again for it).
  EXPECT_EQ(StopDaemon(), 0);
  while (received.find("STOPPING=1") == std::string::npos && ::poll(&p, 1, 10000) > 0) {
    ssize_t n = ::recv(sock.get(), buf, sizeof buf, 0);
    if (n <= 0) break;
    received.append(buf, static_cast<size_t>(n)).append("\n");
  }
  EXPECT_NE(received.find("STOPPING=1"), std::string::npos) << received;
}

}  // namespace
}  // namespace zsup::testing
