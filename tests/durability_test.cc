// Crashes by SIGKILL: of the stem (zsupd replays into a new one), of zsupd
// (the next one adopts the running nodes), of both (the next zsupd replays
// from SQLite), and of zsupd in the middle of a stream of creates (nothing
// acknowledged is lost). PROTOCOL.md, "Node lifecycle"; docs/state.md.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "tests/daemon_fixture.h"

namespace zsup::testing {
namespace {

// Live children of `pid` (from /proc/<pid>/task/*/children).
std::set<int64_t> LiveChildren(pid_t pid) {
  std::set<int64_t> children;
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = ::opendir(tasks.c_str());
  if (d == nullptr) return children;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream in(tasks + "/" + e->d_name + "/children");
    pid_t child;
    while (in >> child) {
      if (ProcessAlive(child)) children.insert(child);
    }
  }
  ::closedir(d);
  return children;
}

class DurabilityTest : public DaemonTest {
 protected:
  // SIGKILL to the stem; waits until it is gone (a zombie counts as gone).
  void KillStem() {
    const pid_t stem = StemPid();
    ASSERT_GT(stem, 0);
    ASSERT_EQ(::kill(stem, SIGKILL), 0);
    ASSERT_TRUE(WaitUntil([&] { return !ProcessAlive(stem); })) << "stem " << stem << " survived";
  }

  // name -> status, failing the test when status cannot be read.
  std::map<std::string, NodeStatus> Nodes() {
    auto status = GetStatus();
    EXPECT_TRUE(status.ok()) << status.error();
    return status.ok() ? status->nodes : std::map<std::string, NodeStatus>{};
  }

  // Waits until every listed node is running; returns name -> pid.
  std::map<std::string, int64_t> WaitAllRunning(milliseconds timeout = seconds(20)) {
    std::map<std::string, int64_t> pids;
    WaitUntil(
        [&] {
          pids.clear();
          for (const auto& [name, s] : Nodes()) {
            if (s.state != NodeState::kRunning || !s.pid) return false;
            pids[name] = *s.pid;
          }
          return true;
        },
        timeout);
    return pids;
  }
};

TEST_F(DurabilityTest, Kill9OfTheStemBringsEveryNodeBackWithNewPids) {
  StartDaemon();
  auto sub = Subscribe({"node_status/"});
  ASSERT_TRUE(Create(TestNode("w1")).ok());
  ASSERT_TRUE(Create(TestNode("w2")).ok());
  const int64_t w1 = WaitRunning("w1"), w2 = WaitRunning("w2");
  ASSERT_GT(w1, 0);
  ASSERT_GT(w2, 0);
  const pid_t old_stem = StemPid();
  ASSERT_TRUE(sub->Next().has_value());  // the first starts: subscribed
  ASSERT_TRUE(sub->Next().has_value());

  ASSERT_NO_FATAL_FAILURE(KillStem());
  const int64_t new_w1 = WaitNewPid("w1", w1), new_w2 = WaitNewPid("w2", w2);
  ASSERT_GT(new_w1, 0);
  ASSERT_GT(new_w2, 0);
  // The old processes died with their stem, and before their replacements ran.
  EXPECT_FALSE(ProcessAlive(static_cast<pid_t>(w1)));
  EXPECT_FALSE(ProcessAlive(static_cast<pid_t>(w2)));
  const pid_t new_stem = StemPid();
  EXPECT_NE(new_stem, old_stem);
  EXPECT_TRUE(ProcessAlive(new_stem));
  EXPECT_EQ(LiveChildren(new_stem), (std::set<int64_t>{new_w1, new_w2}));

  const auto nodes = Nodes();
  ASSERT_EQ(nodes.size(), 2u);
  for (const auto& [name, s] : nodes) {
    EXPECT_EQ(s.state, NodeState::kRunning) << name;
    EXPECT_EQ(s.restarts, 1) << name;
    ASSERT_TRUE(s.pid.has_value()) << name;
    EXPECT_TRUE(ProcessAlive(static_cast<pid_t>(*s.pid))) << name;
  }
  std::set<std::string> announced;
  for (int i = 0; i < 2; ++i) {
    auto e = sub->Next();
    ASSERT_TRUE(e.has_value()) << "missing node_status after the stem's death";
    const auto& st = std::get<NodeStatusEvent>(e->payload);
    EXPECT_EQ(st.restarts, 1);
    announced.insert(st.node);
  }
  EXPECT_EQ(announced, (std::set<std::string>{"w1", "w2"}));
  // Commands keep working with the new stem.
  ASSERT_TRUE(Restart("w1").ok());
  EXPECT_GT(WaitNewPid("w1", new_w1), 0);
}

// The link survives the stem being killed while output is in flight, again
// and again: each new stem gets the nodes back and its output flows.
TEST_F(DurabilityTest, RepeatedKill9OfTheStemWhileOutputFlows) {
  StartDaemon({"--no-echo"});
  auto sub = Subscribe({"stdout/"});
  for (const char* name : {"t1", "t2"}) {
    NodeConfig c;
    c.name = name;
    c.command = {"/bin/sh", "-c", "while :; do echo tick; sleep 0.005; done"};
    ASSERT_TRUE(Create(c).ok());
  }
  for (int round = 1; round <= 4; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const int64_t t1 = WaitRunning("t1"), t2 = WaitRunning("t2");
    ASSERT_GT(t1, 0);
    ASSERT_GT(t2, 0);
    ASSERT_TRUE(sub->Next().has_value()) << "no output before the kill";
    const pid_t old_stem = StemPid();
    ASSERT_NO_FATAL_FAILURE(KillStem());
    ASSERT_GT(WaitNewPid("t1", t1), 0);
    ASSERT_GT(WaitNewPid("t2", t2), 0);
    EXPECT_NE(StemPid(), old_stem);
    // Output from the new processes arrives over the new link (what the
    // old stem had in flight went down with its socket).
    std::set<std::string> heard;
    auto e = sub->WaitFor([&](const Event& ev) {
      heard.insert(std::get<OutputEvent>(ev.payload).node);
      return heard.size() == 2;
    });
    ASSERT_TRUE(e.has_value()) << "output of the new processes never arrived";
  }
}

TEST_F(DurabilityTest, Kill9OfZsupdThenTheNextZsupdAdoptsTheNodesWithTheSamePids) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("w1")).ok());
  ASSERT_TRUE(Create(TestNode("w2")).ok());
  const int64_t w1 = WaitRunning("w1"), w2 = WaitRunning("w2");
  ASSERT_GT(w1, 0);
  ASSERT_GT(w2, 0);
  const auto before = Nodes();
  const pid_t stem = StemPid();

  KillDaemon();
  EXPECT_TRUE(ProcessAlive(stem));
  EXPECT_TRUE(ProcessAlive(static_cast<pid_t>(w1)));
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  EXPECT_EQ(StemPid(), stem);

  const auto after = Nodes();
  ASSERT_EQ(after.size(), 2u);
  for (const auto& [name, s] : after) {
    const NodeStatus& old = before.at(name);
    EXPECT_EQ(s.pid, old.pid) << name;
    EXPECT_EQ(s.state, NodeState::kRunning) << name;
    EXPECT_EQ(s.restarts, 0) << name;
    // The same start (the stem recomputes the wall time of a steady one, so
    // it may move by microseconds).
    ASSERT_TRUE(s.started_at && old.started_at) << name;
    EXPECT_NEAR(*s.started_at, *old.started_at, 0.05) << name;
    EXPECT_FALSE(s.last_exit.has_value()) << name << " exited";
  }
  EXPECT_TRUE(ProcessAlive(static_cast<pid_t>(w1)));
  EXPECT_TRUE(ProcessAlive(static_cast<pid_t>(w2)));
  // The adopted nodes are fully under control: restart, destroy.
  ASSERT_TRUE(Restart("w1").ok());
  EXPECT_GT(WaitNewPid("w1", w1), 0);
  EXPECT_FALSE(ProcessAlive(static_cast<pid_t>(w1)));
  auto restarted = NodeStatusOf("w1");
  ASSERT_TRUE(restarted.has_value());
  EXPECT_EQ(restarted->restarts, 1);
  ASSERT_TRUE(restarted->last_exit.has_value());
  EXPECT_EQ(restarted->last_exit->signal, SIGTERM);
  ASSERT_TRUE(Destroy("w2").ok());
  EXPECT_TRUE(WaitUntil([&] { return !ProcessAlive(static_cast<pid_t>(w2)); }));
}

// Node w1, in the test's directory, runs `then` once the file `go` is there.
NodeConfig GatedNode(const std::string& dir, const std::string& then) {
  NodeConfig c;
  c.name = "w1";
  c.directory = dir;
  c.command = {"/bin/sh", "-c", "while [ ! -e go ]; do sleep 0.02; done; " + then};
  return c;
}
void Go(const std::string& dir) {
  ::close(::open((dir + "/go").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
}

TEST_F(DurabilityTest, OutputWrittenWhileZsupdIsDownReachesTheNextZsupd) {
  StartDaemon();
  // Prints only once told to, and says when it has.
  ASSERT_TRUE(Create(GatedNode(dir(), "echo one; echo two; echo three; touch printed; "
                                      "exec sleep 1000")).ok());
  const int64_t pid = WaitRunning("w1");
  ASSERT_GT(pid, 0);
  KillDaemon();
  Go(dir());
  ASSERT_TRUE(WaitUntil([&] { return ::access((dir() + "/printed").c_str(), F_OK) == 0; }));
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  EXPECT_TRUE(WaitUntil([&] {
    auto lines = Tail("w1", Stream::kStdout, 10);
    return lines.ok() && lines->size() == 3 && lines->back().msg == "three";
  })) << "the lines written while zsupd was down never arrived";
  auto s = NodeStatusOf("w1");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->pid, pid);
}

// Bytes a process has read so far (/proc/PID/io), 0 when unknown.
uint64_t BytesRead(pid_t pid) {
  std::ifstream io("/proc/" + std::to_string(pid) + "/io");
  std::string key;
  uint64_t value = 0;
  while (io >> key >> value) {
    if (key == "rchar:") return value;
  }
  return 0;
}

// Output the stem handed to ZeroMQ for a zsupd that never took it (stopped,
// then killed) reaches the next zsupd: the stem keeps every output frame
// until zsupd acknowledges it, and sends the rest to the next one.
TEST_F(DurabilityTest, OutputInFlightToAKilledZsupdReachesTheNextZsupd) {
  StartDaemon();
  ASSERT_TRUE(Create(GatedNode(dir(), "seq 1 20000; exec sleep 1000")).ok());
  ASSERT_GT(WaitRunning("w1"), 0);
  const pid_t stem = StemPid();
  ASSERT_EQ(::kill(daemon_pid(), SIGSTOP), 0);
  const uint64_t read_before = BytesRead(stem);
  ASSERT_GT(read_before, 0u) << "no /proc/PID/io";
  Go(dir());
  // `seq 1 20000` writes 108,894 bytes. Once the stem has read them, they
  // are two or three frames, which ZeroMQ (64 frames each way) takes at once
  // towards a zsupd that cannot read them.
  ASSERT_TRUE(WaitUntil([&] { return BytesRead(stem) >= read_before + 108894; }));
  KillDaemon();
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  std::vector<OutputLine> lines;
  EXPECT_TRUE(WaitUntil([&] {
    auto tail = Tail("w1", Stream::kStdout, 1000);
    if (tail.ok()) lines = *tail;
    return lines.size() == 1000 && lines.back().msg == "20000";
  })) << "the lines in flight to the killed zsupd never arrived: " << lines.size() << " lines";
  for (size_t i = 0; i < lines.size(); ++i) {
    ASSERT_EQ(lines[i].seq, static_cast<int64_t>(19001 + i)) << "a gap or a repeat";
    ASSERT_EQ(lines[i].msg, std::to_string(19001 + i));
  }
}

TEST_F(DurabilityTest, Kill9OfEverythingReplaysFromSqliteWithHistoryKept) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("w1")).ok());
  ASSERT_TRUE(Create(TestNode("w2")).ok());
  const int64_t w1 = WaitRunning("w1");
  ASSERT_GT(WaitRunning("w2"), 0);
  // Give w1 an exit history: two commanded restarts.
  ASSERT_TRUE(Restart("w1").ok());
  const int64_t w1b = WaitNewPid("w1", w1);
  ASSERT_GT(w1b, 0);
  ASSERT_TRUE(Restart("w1").ok());
  ASSERT_GT(WaitNewPid("w1", w1b), 0);
  const auto before = Nodes();
  ASSERT_EQ(before.at("w1").restarts, 2);
  ASSERT_TRUE(before.at("w1").last_exit.has_value());

  KillDaemon();
  const pid_t stem = StemPid();
  ASSERT_NO_FATAL_FAILURE(KillStem());
  for (const auto& [name, s] : before) {
    EXPECT_TRUE(WaitUntil([&] { return !ProcessAlive(static_cast<pid_t>(*s.pid)); }))
        << name << " outlived its stem";
  }

  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  EXPECT_NE(StemPid(), stem);
  const auto pids = WaitAllRunning();
  ASSERT_EQ(pids.size(), 2u) << "not every node runs again";
  const auto after = Nodes();
  for (const auto& [name, s] : after) {
    EXPECT_NE(s.pid, before.at(name).pid) << name;
  }
  const NodeStatus& w1_after = after.at("w1");
  ASSERT_TRUE(w1_after.last_exit.has_value()) << "the exit history was lost";
  EXPECT_EQ(*w1_after.last_exit, *before.at("w1").last_exit);
  EXPECT_EQ(w1_after.last_exit->signal, SIGTERM);
  // The replay is one more (re)spawn on top of the persisted count.
  EXPECT_EQ(w1_after.restarts, 3);
}

// A client creates n0, n1, ... as fast as it can while zsupd is SIGKILLed at
// a different moment each round. Every create that was acknowledged must be
// there afterwards.
TEST_F(DurabilityTest, AcknowledgedCreatesSurviveKill9OfZsupd) {
  constexpr int kRounds = 5;
  constexpr int kMaxCreatesPerRound = 40;
  const int kill_after[kRounds] = {1, 5, 2, 8, 3};  // acknowledgements before the kill
  std::set<std::string> acknowledged;
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::mutex mu;
    std::vector<std::string> acked;  // guarded by mu
    std::atomic<bool> killed{false};
    std::atomic<bool> client_done{false};
    const std::string endpoint = control_endpoint();
    std::thread client([&] {
      for (int i = 0; i < kMaxCreatesPerRound && !killed; ++i) {
        const std::string name = "r" + std::to_string(round) + "n" + std::to_string(i);
        zmq::socket_t req(context_, zmq::socket_type::req);
        req.set(zmq::sockopt::linger, 0);
        req.connect(endpoint);
        req.send(zmq::buffer(EncodeRequest(CreateRequest{TestNode(name)})));
        zmq::pollitem_t item{req.handle(), 0, ZMQ_POLLIN, 0};
        // Until a reply comes or zsupd is known dead (then one last look).
        bool replied = false;
        for (;;) {
          const bool dead = killed;
          if (zmq::poll(&item, 1, std::chrono::milliseconds(dead ? 0 : 20)) > 0) {
            replied = true;
            break;
          }
          if (dead) break;
        }
        if (!replied) break;
        zmq::message_t reply;
        if (!req.recv(reply)) break;
        if (!DecodeOkReply(reply.to_string_view()).ok()) break;
        std::lock_guard lock(mu);
        acked.push_back(name);
      }
      client_done = true;
    });
    WaitUntil(
        [&] {
          std::lock_guard lock(mu);
          return static_cast<int>(acked.size()) >= kill_after[round] || client_done;
        },
        seconds(20));
    KillDaemon();
    killed = true;
    client.join();
    {
      std::lock_guard lock(mu);
      EXPECT_GE(static_cast<int>(acked.size()), kill_after[round]);
      acknowledged.insert(acked.begin(), acked.end());
    }
    ASSERT_NO_FATAL_FAILURE(StartDaemon());
    const auto nodes = Nodes();
    for (const std::string& name : acknowledged) {
      EXPECT_TRUE(nodes.contains(name)) << "acknowledged node " << name << " was lost";
    }
  }
  // Every node, acknowledged or merely committed, runs, and exactly once:
  // the stem's children are the nodes' processes, no more.
  const auto pids = WaitAllRunning(seconds(30));
  EXPECT_EQ(pids.size(), Nodes().size()) << "some node is not running";
  EXPECT_GE(pids.size(), acknowledged.size());
  std::set<int64_t> node_pids;
  for (const auto& [name, pid] : pids) node_pids.insert(pid);
  EXPECT_EQ(node_pids.size(), pids.size()) << "two nodes share a process";
  EXPECT_EQ(LiveChildren(StemPid()), node_pids);
}

}  // namespace
}  // namespace zsup::testing
