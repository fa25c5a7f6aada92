// The stem through zsupd, with real processes: what a node sees when it is
// spawned (each NodeConfig field the stem acts on), exec failures, and how
// its output is split into events. Lifecycle (revival, stopping, zombies,
// stem and zsupd loss) is in stem_lifecycle_test.cc.
#include <sched.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "broker/json.h"
#include "tests/daemon_fixture.h"

namespace zsup::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Permission bits of a file, or -1 if it does not exist.
int FileMode(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 07777) : -1;
}

int CountOccurrences(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

class StemIntegrationTest : public DaemonTest {
 protected:
  // The node's stdout lines (from `tail`) once one of them starts with
  // `prefix`; empty if none does within the deadline.
  std::vector<std::string> StdoutOnceSeen(const std::string& node, const std::string& prefix) {
    std::vector<std::string> lines;
    WaitUntil([&] {
      auto tail = Tail(node, Stream::kStdout, 1000);
      if (!tail.ok()) return false;
      lines.clear();
      bool seen = false;
      for (const OutputLine& l : *tail) {
        lines.push_back(l.msg);
        seen = seen || l.msg.starts_with(prefix);
      }
      return seen;
    });
    for (const std::string& l : lines) {
      if (l.starts_with(prefix)) return lines;
    }
    ADD_FAILURE() << "node '" << node << "' printed no line starting with '" << prefix << "'";
    return {};
  }

  // The one stdout line of `node` starting with `prefix` ("" if none).
  std::string LineWith(const std::string& node, const std::string& prefix) {
    for (const std::string& l : StdoutOnceSeen(node, prefix)) {
      if (l.starts_with(prefix)) return l;
    }
    return "";
  }

  // stdout events of one node until its node_exit; the exit is not included.
  std::vector<OutputEvent> StdoutUntilExit(Subscriber& sub, const std::string& node) {
    std::vector<OutputEvent> out;
    for (;;) {
      auto e = sub.Next(seconds(10));
      if (!e) {
        ADD_FAILURE() << "no node_exit of '" << node << "' within 10 s";
        return out;
      }
      if (e->kind == EventKind::kNodeExit && std::get<NodeExitEvent>(e->payload).node == node) {
        return out;
      }
      if (e->kind == EventKind::kStdout) out.push_back(std::get<OutputEvent>(e->payload));
    }
  }
};

// ---------------------------------------------------------------- spawning

TEST_F(StemIntegrationTest, CommandArgumentsArriveVerbatimWithoutAShell) {
  StartDaemon();
  const std::vector<std::string> payload = {"two words", "$HOME", "*", "'quoted'", "a;b|c", ""};
  std::vector<std::string> args = {"--print-args", "--"};
  args.insert(args.end(), payload.begin(), payload.end());
  ASSERT_TRUE(Create(TestNode("args", args)).ok());

  std::vector<std::string> expected;
  const std::vector<std::string> argv = TestNode("args", args).command;
  for (size_t i = 0; i < argv.size(); ++i)
    expected.push_back("ARG " + std::to_string(i) + " " + argv[i]);
  EXPECT_EQ(StdoutOnceSeen("args", "ARG 8 "), expected);  // the last one, ""
}

TEST_F(StemIntegrationTest, DirectoryIsTheWorkingDirectory) {
  StartDaemon();
  NodeConfig c = TestNode("cwd", {"--print-cwd"});
  c.directory = dir() + "/nodes-cwd/deeper";
  ASSERT_TRUE(Create(c).ok());
  char* real = ::realpath(c.directory->c_str(), nullptr);  // zsupd created it before replying
  ASSERT_NE(real, nullptr);
  const std::string expected = std::string("CWD ") + real;
  ::free(real);
  EXPECT_EQ(LineWith("cwd", "CWD "), expected);
}

TEST_F(StemIntegrationTest, OutputFilesAre0640RelativeToDirectoryAndKeepEveryRun) {
  StartDaemon();
  auto sub = Subscribe({"node_status/files"});
  // Each run prints its pid to stdout and one line to stderr, then crashes.
  NodeConfig c = TestNode("files", {"--print-pid", "--lines=1", "--stream=stderr", "--exit=3"});
  c.directory = dir() + "/files-wd";
  c.stdout_file = "out.log";
  c.stderr_file = "logs-err.log";
  ASSERT_TRUE(Create(c).ok());
  auto first = sub->Next();
  auto second = sub->Next();  // the revival, about 1 s later
  ASSERT_TRUE(first && second) << "the node was not started and revived";
  const int64_t pid1 = std::get<NodeStatusEvent>(first->payload).pid;
  const int64_t pid2 = std::get<NodeStatusEvent>(second->payload).pid;

  const std::string out_path = *c.directory + "/out.log";
  const std::string err_path = *c.directory + "/logs-err.log";
  // Opened for append: the second run did not truncate what the first wrote.
  EXPECT_TRUE(WaitUntil([&] {
    const std::string out = ReadFile(out_path);
    return out.find("PID " + std::to_string(pid1) + " ") != std::string::npos &&
           out.find("PID " + std::to_string(pid2) + " ") != std::string::npos;
  })) << ReadFile(out_path);
  EXPECT_TRUE(WaitUntil([&] { return CountOccurrences(ReadFile(err_path), "line 1\n") >= 2; }))
      << ReadFile(err_path);
  EXPECT_EQ(FileMode(out_path), 0640);  // PROTOCOL.md: readable by the group, not others
  EXPECT_EQ(FileMode(err_path), 0640);
  // Output that goes to a file is not published.
  auto tail = Tail("files", Stream::kStdout, 100);
  ASSERT_TRUE(tail.ok()) << tail.error();
  EXPECT_TRUE(tail->empty());
}

TEST_F(StemIntegrationTest, EnvironmentHasZsupdsOwnTheConfigEnvTheNodeJsonAndClusterNode) {
  ::setenv("ZSUP_IT_INHERITED", "from the test", 1);  // zsupd inherits it, and so the node
  StartDaemon();
  ::unsetenv("ZSUP_IT_INHERITED");
  NodeConfig c = TestNode("env", {"--print-env", "--check-stdin"});
  c.env = {{"PLAIN", "a value with spaces"}, {"CLUSTER_NODE", "overridden"}};
  c.cluster["env"] =
      ClusterEndpoint{ClusterRole::kWorker, "127.0.0.1", Port{27761, "tcp"}, {}, {}, {}};
  c.cluster["manager"] =
      ClusterEndpoint{ClusterRole::kManager, "127.0.0.1", Port{27760, "tcp"}, {}, {}, {}};
  ASSERT_TRUE(Create(c).ok());
  NodeConfig plain = TestNode("plain", {"--print-env", "--check-stdin"});
  ASSERT_TRUE(Create(plain).ok());

  auto env_of = [&](const std::string& node) {
    std::vector<std::string> env;
    for (const std::string& l : StdoutOnceSeen(node, "STDIN ")) {
      if (l.starts_with("ENV ")) env.push_back(l.substr(4));
    }
    return env;
  };
  auto has = [](const std::vector<std::string>& env, const std::string& entry) {
    return std::find(env.begin(), env.end(), entry) != env.end();
  };
  auto has_key = [](const std::vector<std::string>& env, const std::string& key) {
    return std::any_of(env.begin(), env.end(),
                       [&](const std::string& e) { return e.starts_with(key + "="); });
  };

  const std::vector<std::string> env = env_of("env");
  EXPECT_TRUE(has(env, "ZSUP_IT_INHERITED=from the test"));
  EXPECT_TRUE(has(env, "PLAIN=a value with spaces"));
  EXPECT_TRUE(has(env, "ZEEK_SUPERVISED_NODE=" + NodeConfigToJson(c)));
  EXPECT_TRUE(has(env, "CLUSTER_NODE=env"));  // the name, whatever `env` says
  EXPECT_FALSE(has(env, "CLUSTER_NODE=overridden"));
  EXPECT_FALSE(has_key(env, "ZEEK_SUPERVISED_NODE_FILE"));

  const std::vector<std::string> plain_env = env_of("plain");
  EXPECT_TRUE(has(plain_env, "ZEEK_SUPERVISED_NODE=" + NodeConfigToJson(plain)));
  EXPECT_FALSE(has_key(plain_env, "CLUSTER_NODE"));  // no cluster, no CLUSTER_NODE
}

TEST_F(StemIntegrationTest, OversizedNodeJsonGoesThroughAPrivateFile) {
  StartDaemon();
  NodeConfig c = TestNode("huge", {"--print-env", "--check-stdin"});
  for (int i = 0; i < 20; ++i) c.env["BIG_" + std::to_string(i)] = std::string(6000, 'a' + i);
  const std::string json = NodeConfigToJson(c);
  ASSERT_GT(json.size(), 100000u);
  ASSERT_TRUE(Create(c).ok());

  std::string file;
  for (const std::string& l : StdoutOnceSeen("huge", "STDIN ")) {
    EXPECT_FALSE(l.starts_with("ENV ZEEK_SUPERVISED_NODE=")) << "oversized JSON in the environment";
    if (l.starts_with("ENV ZEEK_SUPERVISED_NODE_FILE=")) file = l.substr(l.find('=') + 1);
  }
  ASSERT_FALSE(file.empty()) << "no ZEEK_SUPERVISED_NODE_FILE";
  EXPECT_EQ(FileMode(file), 0600);
  EXPECT_EQ(ReadFile(file), json);
}

TEST_F(StemIntegrationTest, CpuAffinityPinsTheNodeToThatCpu) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  ASSERT_EQ(::sched_getaffinity(0, sizeof allowed, &allowed), 0);
  int cpu = -1;  // the last CPU we may use: not what an unpinned node would print
  for (int i = 0; i < CPU_SETSIZE; ++i) {
    if (CPU_ISSET(i, &allowed)) cpu = i;
  }
  ASSERT_GE(cpu, 0);
  StartDaemon();
  NodeConfig c = TestNode("pinned", {"--print-affinity"});
  c.cpu_affinity = cpu;
  ASSERT_TRUE(Create(c).ok());
  EXPECT_EQ(LineWith("pinned", "AFFINITY "), "AFFINITY " + std::to_string(cpu));
}

TEST_F(StemIntegrationTest, UnusableCpuIsReportedAndTheNodeStillRuns) {
  StartDaemon();
  NodeConfig c = TestNode("badcpu", {"--print-affinity"});
  c.cpu_affinity = 1000;  // valid in the config (0..1023), but no such CPU here
  ASSERT_TRUE(Create(c).ok());
  const int64_t pid = WaitRunning("badcpu");
  ASSERT_GT(pid, 0);
  EXPECT_FALSE(LineWith("badcpu", "AFFINITY ").empty());  // it ran, unpinned
  std::optional<NodeStatus> s;
  EXPECT_TRUE(WaitUntil([&] {
    s = NodeStatusOf("badcpu");
    return s && s->last_error;
  }));
  ASSERT_TRUE(s && s->last_error);
  EXPECT_EQ(*s->last_error, "node 'badcpu' could not be pinned to CPU 1000: Invalid argument");
  EXPECT_EQ(s->state, NodeState::kRunning);
  EXPECT_EQ(s->pid, pid);
  EXPECT_TRUE(ProcessAlive(static_cast<pid_t>(pid)));
}

TEST_F(StemIntegrationTest, NodeGetsDevNullStdinOnlyStdioAndItsOwnProcessGroup) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("iso", {"--print-pid", "--check-stdin", "--check-fds"})).ok());
  const int64_t pid = WaitRunning("iso");
  ASSERT_GT(pid, 0);
  std::vector<std::string> lines = StdoutOnceSeen("iso", "FD");
  const std::string p = std::to_string(pid);
  const std::vector<std::string> expected = {
      "PID " + p + " PGID " + p + " PPID " + std::to_string(StemPid()), "STDIN DEVNULL", "FDS OK"};
  EXPECT_EQ(lines, expected);  // any leaked descriptor prints "FD n -> target" instead of FDS OK
}

TEST_F(StemIntegrationTest, ExecFailureIsReportedAndCountsAsCrash) {
  StartDaemon();
  auto sub = Subscribe({"node_exit/nope"});
  NodeConfig c;
  c.name = "nope";
  c.command = {"/nonexistent/prog"};
  ASSERT_TRUE(Create(c).ok());
  auto first = sub->Next();
  ASSERT_TRUE(first.has_value()) << "no node_exit";
  const auto& exit = std::get<NodeExitEvent>(first->payload);
  EXPECT_EQ(exit.code, 127);
  EXPECT_FALSE(exit.signal.has_value());
  EXPECT_FALSE(exit.commanded);
  // Revived on the crash schedule: another attempt about 1 s later.
  auto second = sub->Next(seconds(5));
  ASSERT_TRUE(second.has_value()) << "the node was not revived";
  const auto& again = std::get<NodeExitEvent>(second->payload);
  EXPECT_NE(again.pid, exit.pid);
  EXPECT_EQ(again.code, 127);
  EXPECT_GE(again.at - exit.at, 0.9);

  auto s = NodeStatusOf("nope");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->last_error,
            "node 'nope' failed to exec '/nonexistent/prog': No such file or directory");
  ASSERT_TRUE(s->last_exit.has_value());
  EXPECT_EQ(s->last_exit->code, 127);
  EXPECT_NE(s->state, NodeState::kExited);  // still being revived
}

// A node that never execs never reports a start: its revivals are counted
// through the restart count its exits carry.
TEST_F(StemIntegrationTest, ExecFailureRevivalsAreCountedInStatus) {
  StartDaemon();
  auto sub = Subscribe({"node_exit/nope"});
  NodeConfig c;
  c.name = "nope";
  c.command = {"/nonexistent/prog"};
  ASSERT_TRUE(Create(c).ok());
  ASSERT_TRUE(sub->Next() && sub->Next(seconds(5))) << "not revived";
  std::optional<NodeStatus> s;
  EXPECT_TRUE(WaitUntil(
      [&] {
        s = NodeStatusOf("nope");
        return s && s->restarts.value_or(0) >= 1;
      },
      seconds(2)))
      << "restarts " << (s ? s->restarts.value_or(-1) : -1);
}

// ------------------------------------------------------------------ output

TEST_F(StemIntegrationTest, FinalPartialLineIsFlushedWhenTheNodeExits) {
  StartDaemon();
  auto sub = Subscribe({"stdout/partial", "node_exit/partial"});
  ASSERT_TRUE(
      Create(TestNode("partial", {"--lines=2", "--partial=no newline here", "--exit=0"})).ok());
  std::vector<OutputEvent> out = StdoutUntilExit(*sub, "partial");
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].msg, "line 1");
  EXPECT_EQ(out[1].msg, "line 2");
  EXPECT_EQ(out[2].msg, "no newline here");
  EXPECT_EQ(out[2].seq, 3);
}

TEST_F(StemIntegrationTest, MebibyteLineArrivesAsSixteen64KiBPieces) {
  StartDaemon({"--no-echo"});
  auto sub = Subscribe({"stdout/big"});
  ASSERT_TRUE(Create(TestNode("big", {"--big-line=1048576"})).ok());
  std::string joined;
  for (int i = 0; i < 16; ++i) {
    auto e = sub->Next();
    ASSERT_TRUE(e.has_value()) << "only " << i << " pieces arrived";
    const auto& o = std::get<OutputEvent>(e->payload);
    EXPECT_EQ(o.seq, i + 1);
    EXPECT_EQ(o.msg.size(), 65536u) << "piece " << i;
    joined += o.msg;
  }
  EXPECT_FALSE(sub->Next(milliseconds(300)).has_value()) << "more than 16 pieces";
  ASSERT_EQ(joined.size(), 1048576u);
  for (size_t i = 0; i < joined.size(); ++i) {
    ASSERT_EQ(joined[i], static_cast<char>('a' + i % 26)) << "at byte " << i;
  }
}

TEST_F(StemIntegrationTest, LinesArriveInOrderWithConsecutiveSeq) {
  StartDaemon({"--no-echo"});
  auto sub = Subscribe({"stdout/ordered"});
  ASSERT_TRUE(Create(TestNode("ordered", {"--lines=500"})).ok());
  for (int i = 1; i <= 500; ++i) {
    auto e = sub->Next();
    ASSERT_TRUE(e.has_value()) << "line " << i << " did not arrive";
    const auto& o = std::get<OutputEvent>(e->payload);
    ASSERT_EQ(o.seq, i);
    ASSERT_EQ(o.msg, "line " + std::to_string(i));
  }
}

}  // namespace
}  // namespace zsup::testing
