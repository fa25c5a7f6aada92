// Regressions for what fault and bad-input probes broke (issue "Hardening"):
// each test names the probe it repeats, against the real binaries.
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <memory>
#include <set>

#include "broker/fd.h"
#include "tests/daemon_fixture.h"

namespace zsup::testing {
namespace {

class HardeningTest : public DaemonTest {};

// Whether resident memory says anything: AddressSanitizer keeps freed memory
// in quarantine (256 MiB by default), so under it the figures only grow.
constexpr bool kMemoryFiguresMeaningful =
#if defined(__SANITIZE_ADDRESS__)
    false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    false;
#else
    true;
#endif
#else
    true;
#endif

// Resident memory of a process, KiB (from /proc/<pid>/status).
long RssKiB(pid_t pid) {
  const std::string status = ReadFile("/proc/" + std::to_string(pid) + "/status");
  const size_t at = status.find("VmRSS:");
  return at == std::string::npos ? -1 : std::stol(status.substr(at + 6));
}

bool PidMatchesState(const NodeStatus& s) {
  const bool has_process = s.state == NodeState::kStarting || s.state == NodeState::kRunning ||
                           s.state == NodeState::kStopping;
  return has_process == s.pid.has_value();
}

NodeConfig Command(const std::string& name, std::vector<std::string> command) {
  NodeConfig c;
  c.name = name;
  c.command = std::move(command);
  return c;
}

// Probe 10: `create x -- /nonexistent; sleep 1.5; destroy x; create x -- sleep
// 100` left x `starting` forever (the stem forgot a node in backoff without
// saying so, and zsupd waited for its exit).
TEST_F(HardeningTest, ANodeRecreatedAfterItsCrashLoopStartsAgain) {
  StartDaemon();
  for (const auto& broken : {std::vector<std::string>{"/nonexistent"},
                             std::vector<std::string>{"/bin/sh", "-c", "exit 3"}}) {
    ASSERT_TRUE(Create(Command("x", broken)).ok());
    ASSERT_TRUE(WaitUntil([&] {
      auto s = NodeStatusOf("x");
      return s && s->state == NodeState::kBackoff && s->restarts.value_or(0) >= 1;
    })) << Log();
    ASSERT_TRUE(Destroy("x").ok());
    ASSERT_TRUE(Create(TestNode("x")).ok());
    EXPECT_GT(WaitRunning("x", seconds(5)), 0) << Log();
    ASSERT_TRUE(Destroy("x").ok());
  }
}

// "...and after restart": a restart of the re-created node did not unstick
// it either; only a zsupd restart did.
TEST_F(HardeningTest, ARecreatedNodeRestartedAtOnceStartsToo) {
  StartDaemon();
  ASSERT_TRUE(Create(Command("x", {"/bin/sh", "-c", "exit 3"})).ok());
  ASSERT_TRUE(WaitUntil([&] {
    auto s = NodeStatusOf("x");
    return s && s->state == NodeState::kBackoff;
  })) << Log();
  ASSERT_TRUE(Destroy("x").ok());
  ASSERT_TRUE(Create(TestNode("x")).ok());
  ASSERT_TRUE(Restart("x").ok());
  EXPECT_GT(WaitRunning("x", seconds(5)), 0) << Log();
}

// Probe 11: a restart of a node that ignores SIGTERM showed `running` with
// the old pid for the whole stop timeout.
TEST_F(HardeningTest, StatusShowsStoppingWithTheOldPidUntilTheOldProcessIsGone) {
  StartDaemon({"--stop-timeout", "2"});
  ASSERT_TRUE(Create(TestNode("stubborn", {"--ignore-sigterm", "--print-pid"})).ok());
  const int64_t pid = WaitRunning("stubborn");
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(WaitPrinted("stubborn"));  // SIGTERM is ignored from here on
  ASSERT_TRUE(Restart("stubborn").ok());
  auto s = NodeStatusOf("stubborn");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, NodeState::kStopping);
  EXPECT_EQ(s->pid, pid);
  // Every status on the way: a pid exactly while starting, running or stopping.
  bool consistent = true;
  const bool restarted = WaitUntil([&] {
    auto now = NodeStatusOf("stubborn");
    if (!now) return false;
    consistent = consistent && PidMatchesState(*now);
    if (now->pid == pid) {
      EXPECT_EQ(now->state, NodeState::kStopping);
    }
    return now->state == NodeState::kRunning && now->pid != pid;
  });
  EXPECT_TRUE(restarted) << Log();
  EXPECT_TRUE(consistent);
}

// Probe 11, second half: a spawn that failed for lack of descriptors showed
// `starting` with no pid and no restart counted. zsupd refuses creates its
// limit cannot hold (below), so the stem here has a lower limit than zsupd
// (as a stem adopted from another zsupd may).
TEST_F(HardeningTest, ASpawnThatFailsForLackOfDescriptorsShowsBackoffNotStarting) {
  const std::string stem = dir() + "/low-limit-stem";
  {
    std::ofstream script(stem);
    script << "#!/bin/sh\nulimit -n 80\nexec " << StemPath() << " \"$@\"\n";
  }
  ASSERT_EQ(::chmod(stem.c_str(), 0755), 0);
  set_stem_path(stem);
  StartDaemon();
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(Create(TestNode("n" + std::to_string(i))).ok());
  bool some_failed = false;
  ASSERT_TRUE(WaitUntil([&] {
    auto report = GetStatus();
    if (!report.ok()) return false;
    bool settled = true;
    for (const auto& [name, s] : report->nodes) {
      EXPECT_TRUE(PidMatchesState(s)) << name << " " << StateName(*s.state);
      if (s.state == NodeState::kWaiting) settled = false;
      if (s.last_error && s.last_error->find("Too many open files") != std::string::npos &&
          s.state == NodeState::kBackoff) {
        some_failed = true;
      }
    }
    return settled && some_failed;
  })) << Log();
}

// The 10,000-node storm: past what the open-file limit allows, a
// create (or an apply, dry run too) is refused with what to do, instead of
// accepted and then failing spawn after spawn with "Too many open files".
TEST_F(HardeningTest, NodesBeyondTheOpenFileLimitAreRefusedUpFront) {
  // 200 descriptors: the connection reserve is 50, zsupd keeps 64, the stem
  // 64 and 2 per node: room for 68 nodes.
  set_daemon_nofile(200);
  StartDaemon();
  for (int i = 0; i < 68; ++i) {
    Status s = Create(TestNode("n" + std::to_string(i)));
    ASSERT_TRUE(s.ok()) << i << ": " << s.message();
  }
  Status refused = Create(TestNode("one-too-many"));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("not enough file descriptors: the open-file limit is 200, "
                                   "and 69 nodes would hold 138 descriptors in zsup-stem"),
            std::string::npos)
      << refused.message();
  EXPECT_NE(refused.message().find("raise the limit (LimitNOFILE="), std::string::npos);
  ApplyRequest apply;
  apply.nodes = {TestNode("x1")};
  apply.dry_run = true;
  auto reply = Call(EncodeRequest(apply));
  ASSERT_TRUE(reply.ok());
  EXPECT_NE(reply->find("apply: not enough file descriptors"), std::string::npos);
  // Every accepted node runs: none failed for want of a descriptor.
  ASSERT_TRUE(WaitUntil([&] {
    auto report = GetStatus();
    if (!report.ok()) return false;
    for (const auto& [name, st] : report->nodes) {
      EXPECT_FALSE(st.last_error) << name << ": " << *st.last_error;
      if (st.state != NodeState::kRunning) return false;
    }
    return report->nodes.size() == 68;
  })) << Log();
  // Room again once a node is gone.
  ASSERT_TRUE(Send(DestroyRequest{"n0"}).ok());
  EXPECT_TRUE(Create(TestNode("one-too-many")).ok());
}

// The same limit with all 68 nodes in one apply: the stem gets the creates
// at once, and each spawn holds a pipe until its exec report is read; it
// takes the next creates only while few are outstanding, so none of the
// nodes the limit admitted fails for want of a descriptor.
TEST_F(HardeningTest, OneApplyOfAsManyNodesAsTheLimitAllowsStartsEveryOne) {
  set_daemon_nofile(200);
  StartDaemon();
  ApplyRequest apply;
  for (int i = 0; i < 68; ++i) apply.nodes.push_back(TestNode("n" + std::to_string(i)));
  auto reply = Call(EncodeRequest(apply));
  ASSERT_TRUE(reply.ok()) << reply.error();
  auto applied = DecodeApplyReply(*reply);
  ASSERT_TRUE(applied.ok()) << applied.error();
  ASSERT_EQ(applied->created.size(), 68u);
  ASSERT_TRUE(WaitUntil([&] {
    auto report = GetStatus();
    if (!report.ok()) return false;
    for (const auto& [name, st] : report->nodes) {
      EXPECT_FALSE(st.last_error) << name << ": " << *st.last_error;
      if (st.state != NodeState::kRunning) return false;
    }
    return report->nodes.size() == 68;
  })) << Log();
  EXPECT_EQ(Log().find("Too many open files"), std::string::npos) << Log();
}

// Probe 9: zsupd frozen past the stem's grace; the stem stopped the nodes and
// exited, zsupd started them again, and no node_exit ever told of the old
// processes.
TEST_F(HardeningTest, NodesTheStemStoppedWhileZsupdWasFrozenGetTheirNodeExit) {
  StartDaemon({"--grace", "1"});
  auto sub = Subscribe({"node_exit/w1"});
  ASSERT_TRUE(Create(TestNode("w1")).ok());
  const int64_t pid = WaitRunning("w1");
  ASSERT_GT(pid, 0);
  const pid_t stem = StemPid();
  ASSERT_EQ(::kill(daemon_pid(), SIGSTOP), 0);
  const bool stem_gone = WaitUntil([&] { return !ProcessAlive(stem); }, seconds(20));
  ::kill(daemon_pid(), SIGCONT);
  ASSERT_TRUE(stem_gone) << Log();
  auto exit = sub->WaitFor([&](const Event& e) {
    return e.kind == EventKind::kNodeExit && std::get<NodeExitEvent>(e.payload).pid == pid;
  });
  ASSERT_TRUE(exit) << Log();
  const auto& x = std::get<NodeExitEvent>(exit->payload);
  EXPECT_EQ(x.signal, SIGTERM);  // as the stem stopped it, not a guess
  EXPECT_TRUE(x.commanded);
  EXPECT_GT(WaitNewPid("w1", pid), 0) << Log();
  EXPECT_NE(Log().find("no zsupd connected within the grace period"), std::string::npos) << Log();
}

// Probe 9 without a last word: a stem killed outright still leaves a
// node_exit for each of its nodes.
TEST_F(HardeningTest, NodesOfAStemKilledOutrightGetANodeExitEach) {
  StartDaemon();
  auto sub = Subscribe({"node_exit/"});
  ASSERT_TRUE(Create(TestNode("a")).ok());
  ASSERT_TRUE(Create(TestNode("b")).ok());
  const std::set<int64_t> pids = {WaitRunning("a"), WaitRunning("b")};
  ASSERT_EQ(::kill(StemPid(), SIGKILL), 0);
  std::set<int64_t> seen;
  ASSERT_TRUE(sub->WaitFor([&](const Event& e) {
    if (e.kind == EventKind::kNodeExit) seen.insert(std::get<NodeExitEvent>(e.payload).pid);
    return seen == pids;
  })) << Log();
}

// Probe 12: after adoption the stem kept logging into the killed zsupd's
// stderr, and `ps` showed the settings it was first started with.
TEST_F(HardeningTest, AnAdoptedStemLogsWhereTheAdoptingZsupdLogsAndShowsNoStaleSettings) {
  StartDaemon({"--stop-timeout", "7.5"});
  ASSERT_TRUE(Create(TestNode("w1")).ok());
  ASSERT_GT(WaitRunning("w1"), 0);
  KillDaemon();
  LogTo("second.log");
  StartDaemon({"--stop-timeout", "3"});
  ASSERT_TRUE(WaitUntil([&] { return Log().find("1 node(s) adopted") != std::string::npos; }));
  ASSERT_TRUE(Create(Command("broken", {"/nonexistent"})).ok());
  EXPECT_TRUE(WaitUntil([&] {
    return Log().find("zsup-stem ERROR node 'broken' failed to exec") != std::string::npos;
  })) << Log();
  EXPECT_EQ(LogOf("zsupd.log").find("broken"), std::string::npos) << LogOf("zsupd.log");
  const std::string cmdline = ReadFile("/proc/" + std::to_string(StemPid()) + "/cmdline");
  EXPECT_EQ(cmdline.find("7.5"), std::string::npos) << cmdline;
}

// A SUB peer speaking ZMTP 3.0 by hand over the events socket (libzmq's own
// SUB keeps every subscription in a trie too, and tears a 20 MB one down by
// recursion deep enough to crash the test). Returns the bytes of the
// subscription message the peer managed to send before zsupd closed it.
size_t SendRawSubscription(const std::string& ipc_path, size_t topic_bytes) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, ipc_path.data(), ipc_path.size());
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return 0;
  std::string greeting(64, '\0');
  greeting[0] = '\xff';
  greeting[9] = '\x7f';
  greeting[10] = 3;
  greeting.replace(12, 4, "NULL");
  const std::string property = std::string("\x0bSocket-Type") + std::string("\0\0\0\x03SUB", 7);
  std::string ready = std::string("\x05READY") + property;
  std::string out = greeting + '\x04' + static_cast<char>(ready.size()) + ready;
  const uint64_t size = topic_bytes + 1;
  out += '\x02';
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>(size >> shift);
  out += '\x01';
  out += std::string(topic_bytes, 'x');
  size_t sent = 0;
  while (sent < out.size()) {
    ssize_t n = ::send(fd.get(), out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  return sent;
}

// Probe 1: `setsockopt(SUBSCRIBE, b"x" * (20 << 20))` on the events socket,
// then node output: zsupd grew by ~32x the prefix and stopped answering.
TEST_F(HardeningTest, AHugeSubscriptionCostsZsupdNeitherMemoryNorTime) {
  StartDaemon();
  auto sub = Subscribe({"stdout/talker"});
  const long before = RssKiB(daemon_pid());
  const size_t topic = 20 << 20;
  const size_t sent = SendRawSubscription(dir() + "/events.sock", topic);
  EXPECT_LT(sent, topic) << "zsupd read the whole subscription";
  ASSERT_TRUE(Create(TestNode("talker", {"--lines=2000"})).ok());
  int lines = 0;
  ASSERT_TRUE(sub->WaitFor([&](const Event& e) {
    return e.kind == EventKind::kStdout && ++lines == 2000;
  })) << Log();
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(Call(EncodeRequest(PingRequest{})).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(500));
  if (kMemoryFiguresMeaningful) {
    EXPECT_LT(RssKiB(daemon_pid()) - before, 64 << 10);
  }
}

// Probe 8: a 200 MB env value was accepted; the node could never exec
// (E2BIG) and every status carried it.
TEST_F(HardeningTest, ACreateThatCouldNeverExecIsRefusedNamingTheField) {
  StartDaemon();
  NodeConfig c = TestNode("big");
  c.env["BLOB"] = std::string(10 << 20, 'x');
  Status s = Create(c);
  EXPECT_EQ(s.message(),
            "node 'big': config.env.BLOB is 10485765 bytes; exec takes at most 131071 bytes per "
            "argument or environment string");
  c.env.clear();
  for (int i = 0; i < 12; ++i) c.env["K" + std::to_string(i)] = std::string(100 << 10, 'v');
  s = Create(c);
  EXPECT_NE(s.message().find("its command and env take"), std::string::npos) << s.message();
  c.env.clear();
  c.cluster["x"].host = std::string(2 << 20, 'h');
  s = Create(c);
  EXPECT_NE(s.message().find("its config is"), std::string::npos) << s.message();
  auto report = GetStatus();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->nodes.empty());
}

// Probe 8, the frame: a request beyond --max-request-bytes is not read; its
// connection is closed and everyone else is served.
TEST_F(HardeningTest, ARequestBeyondTheSizeLimitClosesItsConnectionOnly) {
  StartDaemon({"--max-request-bytes", "1000000"});
  const long before = RssKiB(daemon_pid());
  NodeConfig c = TestNode("big");
  c.env["BLOB"] = std::string(30 << 20, 'x');
  auto reply = Call(EncodeRequest(CreateRequest{c}), seconds(2));
  EXPECT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), Status::Code::kUnreachable);
  EXPECT_TRUE(Call(EncodeRequest(PingRequest{})).ok());
  if (kMemoryFiguresMeaningful) {
    EXPECT_LT(RssKiB(daemon_pid()) - before, 20 << 10);
  }
  c.env["BLOB"] = std::string(200 << 10, 'x');  // under the frame limit: a reply
  EXPECT_NE(Create(c).message().find("config.env.BLOB"), std::string::npos);
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_mode & 07777 : 07777;
}

// Whether user nobody can connect to a unix socket (run as root only).
bool NobodyCanConnect(const std::string& path) {
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(2);
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), path.size());
    ::_exit(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 ? 0 : 1);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// Probe 2: `mkdir -m 777 D; (umask 000; zsupd --state-dir D)` gave sockets
// 0777, and user nobody created a node that ran as root.
TEST_F(HardeningTest, AStateDirOthersCanWriteIsMadePrivateWhateverTheUmask) {
  ASSERT_EQ(::chmod(dir().c_str(), 0777), 0);
  set_daemon_umask(0);
  StartDaemon();
  EXPECT_EQ(ModeOf(dir()), 0700u);
  for (const char* file :
       {"control.sock", "events.sock", "stem.sock", "state.db", "zsupd.lock", "stem.lock"}) {
    EXPECT_EQ(ModeOf(dir() + "/" + file) & 077, 0u)
        << file << " is " << std::oct << ModeOf(dir() + "/" + file);
  }
  EXPECT_NE(Log().find("was mode 0777"), std::string::npos) << Log();
  if (::geteuid() == 0) {
    ASSERT_EQ(::chmod(dir().c_str(), 0755), 0);  // even with the directory open to all
    EXPECT_FALSE(NobodyCanConnect(dir() + "/control.sock"));
    EXPECT_FALSE(NobodyCanConnect(dir() + "/events.sock"));
  }
}

TEST_F(HardeningTest, AStateDirOthersCouldReplaceIsRefused) {
  const std::string open = dir() + "/open";
  ASSERT_EQ(::mkdir(open.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(open.c_str(), 0777), 0);
  CommandResult r = RunCommand({ZsupdPath(), "--state-dir", open + "/state", "--stem", StemPath()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("is inside " + open + " (mode 0777), which anyone can write to"),
            std::string::npos)
      << r.err;
  if (::geteuid() == 0) {
    const std::string theirs = dir() + "/theirs";
    ASSERT_EQ(::mkdir(theirs.c_str(), 0700), 0);
    ASSERT_EQ(::chown(theirs.c_str(), 65534, 65534), 0);
    r = RunCommand({ZsupdPath(), "--state-dir", theirs, "--stem", StemPath()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("belongs to uid 65534"), std::string::npos) << r.err;
  }
}

// Probe 5: state.db deleted or truncated while zsupd runs went unnoticed;
// zsupd kept acknowledging creates, and after a restart the nodes were gone
// and their processes stopped.
TEST_F(HardeningTest, AStateDbDeletedOrTruncatedWhileZsupdRunsIsRewrittenFromMemory) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("a")).ok());
  const std::string db = dir() + "/state.db";
  ASSERT_EQ(::unlink(db.c_str()), 0);
  ASSERT_TRUE(Create(TestNode("b")).ok());
  EXPECT_NE(Log().find(db + " was deleted while zsupd ran"), std::string::npos) << Log();
  ASSERT_EQ(::truncate(db.c_str(), 0), 0);
  ASSERT_TRUE(Create(TestNode("c")).ok());
  EXPECT_NE(Log().find("was truncated"), std::string::npos) << Log();
  ASSERT_TRUE(Destroy("a").ok());
  const int64_t b = WaitRunning("b"), c = WaitRunning("c");
  KillDaemon();
  StartDaemon();
  auto report = GetStatus();
  ASSERT_TRUE(report.ok());
  std::set<std::string> names;
  for (const auto& [name, st] : report->nodes) names.insert(name);
  EXPECT_EQ(names, (std::set<std::string>{"b", "c"}));
  EXPECT_EQ(WaitRunning("b"), b);
  EXPECT_EQ(WaitRunning("c"), c);
}

TEST_F(HardeningTest, AStateDbDeletedWhileNothingIsWrittenIsRewrittenToo) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("a")).ok());
  ASSERT_EQ(::unlink((dir() + "/state.db").c_str()), 0);
  ASSERT_TRUE(WaitUntil([&] {
    return Log().find("wrote 1 node(s) into a new") != std::string::npos;
  })) << Log();
  const int64_t a = WaitRunning("a");
  KillDaemon();
  StartDaemon();
  EXPECT_EQ(WaitRunning("a"), a);
}

// Probe 5, at start: an empty state.db next to a running stem that reports
// nodes is said loudly, and the nodes are taken back, not stopped.
TEST_F(HardeningTest, AZsupdThatFindsStateDbLostTakesTheStemsNodesBack) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("a")).ok());
  ASSERT_TRUE(Create(TestNode("b", {"--print-pid"})).ok());
  const int64_t a = WaitRunning("a"), b = WaitRunning("b");
  KillDaemon();
  for (const char* f : {"/state.db", "/state.db-wal", "/state.db-shm"})
    ::unlink((dir() + f).c_str());
  StartDaemon();
  EXPECT_NE(Log().find("the database was lost while no zsupd ran"), std::string::npos) << Log();
  EXPECT_EQ(WaitRunning("a"), a);
  EXPECT_EQ(WaitRunning("b"), b);
  auto s = NodeStatusOf("b");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->node, TestNode("b", {"--print-pid"}));
  KillDaemon();
  StartDaemon();  // and they are in the new state.db
  EXPECT_EQ(WaitRunning("a"), a);
  EXPECT_EQ(WaitRunning("b"), b);
}

// The pid a node printed as its first stdout line.
int64_t FirstLinePid(Subscriber& sub) {
  auto line = sub.WaitFor([](const Event& e) { return e.kind == EventKind::kStdout; });
  return line ? std::stoll(std::get<OutputEvent>(line->payload).msg) : 0;
}

// Probe 7: `sh -c 'setsid sleep 999 & exec sleep 1000'`: after destroy, and
// after an orderly zsupd stop, the escaped grandchild still ran.
TEST_F(HardeningTest, StoppingANodeStopsWhatItStartedOutsideItsSession) {
  StartDaemon();
  auto sub = Subscribe({"stdout/escaper", "stdout/daemon"});
  ASSERT_TRUE(
      Create(Command("escaper", {"/bin/sh", "-c", "setsid sleep 999 & echo $!; exec sleep 1000"}))
          .ok());
  const int64_t escaped = FirstLinePid(*sub);
  ASSERT_GT(escaped, 0);
  // A double fork: re-parented to the node, which is a subreaper.
  ASSERT_TRUE(
      Create(Command("daemon", {"/bin/sh", "-c", "(setsid sleep 998 & echo $!); exec sleep 1000"}))
          .ok());
  const int64_t daemonized = FirstLinePid(*sub);
  ASSERT_GT(daemonized, 0);
  ASSERT_TRUE(ProcessAlive(escaped) && ProcessAlive(daemonized));
  ASSERT_TRUE(Destroy("escaper").ok());
  EXPECT_TRUE(WaitUntil([&] { return !ProcessAlive(escaped); })) << "destroy left it running";
  EXPECT_TRUE(ProcessAlive(daemonized)) << "another node's process was stopped";
  EXPECT_EQ(StopDaemon(), 0);
  EXPECT_TRUE(WaitUntil([&] { return !ProcessAlive(daemonized); })) << "shutdown left it running";
}

TEST_F(HardeningTest, WhatACrashedNodeLeftOutsideItsSessionGoesWithIt) {
  StartDaemon();
  auto sub = Subscribe({"stdout/crasher"});
  ASSERT_TRUE(
      Create(Command("crasher", {"/bin/sh", "-c", "setsid sleep 997 & echo $!; sleep 0.3; exit 3"}))
          .ok());
  const int64_t escaped = FirstLinePid(*sub);
  ASSERT_GT(escaped, 0);
  EXPECT_TRUE(WaitUntil([&] { return !ProcessAlive(escaped); })) << "the crash left it running";
}

// Probe 4: alone, a reading SUB lost no line of a flood; with three SUBs
// connected that never read, it lost 59%.
TEST_F(HardeningTest, SubscribersThatNeverReadAreCutOffAndTheReaderLosesNothing) {
  StartDaemon({"--no-echo", "--events-stall-limit", "0.3"});
  std::vector<std::unique_ptr<Subscriber>> stuck;
  for (int i = 0; i < 3; ++i) stuck.push_back(Subscribe({"stdout/flood"}, 100));
  auto reader = Subscribe({"stdout/flood"});
  constexpr int kLines = 200000;
  ASSERT_TRUE(Create(TestNode("flood", {"--lines=" + std::to_string(kLines), "--burst"})).ok());
  int64_t expected = 1;
  while (expected <= kLines) {
    auto e = reader->Next(seconds(15));
    ASSERT_TRUE(e.has_value()) << "line " << expected << " never came\n" << Log();
    ASSERT_EQ(std::get<OutputEvent>(e->payload).seq, expected) << "the reader lost lines";
    ++expected;
  }
  EXPECT_NE(Log().find("cut off"), std::string::npos) << Log();
}

// Probe 3: one SUB that never reads and a node writing 60,000-byte lines:
// zsupd passed 4 GiB in 12 s (the queue was bounded in events, not bytes).
TEST_F(HardeningTest, ASubscribersQueueIsBoundedInBytes) {
  StartDaemon({"--no-echo", "--events-stall-limit", "0", "--events-queue-bytes", "8388608"});
  auto stuck = Subscribe({"stdout/big"}, 100);
  const long before = RssKiB(daemon_pid());
  constexpr int kLines = 3000;  // 180 MB
  ASSERT_TRUE(
      Create(TestNode("big", {"--lines=" + std::to_string(kLines), "--line-bytes=60000"})).ok());
  long peak = 0;
  ASSERT_TRUE(WaitUntil(
      [&] {
        peak = std::max(peak, RssKiB(daemon_pid()) - before);
        auto lines = Tail("big", Stream::kStdout, 1);
        return lines.ok() && !lines->empty() && lines->back().seq == kLines;
      },
      seconds(60)))
      << Log();
  // Without a subscriber the flood itself costs about 60 MiB here (link
  // queues, the allocator's caches); the old code queued all 180 MB.
  if (kMemoryFiguresMeaningful) {
    EXPECT_LT(peak, 128 << 10) << "KiB more than before the flood";
  }
}

// Probe 6: with the open-file limit at 1024, 1,100 idle connections made
// zsupd abort inside ZeroMQ (`Too many open files (src/ipc_listener.cpp)`).
TEST_F(HardeningTest, RunningShortOfDescriptorsRefusesConnectionsAndRecovers) {
  // This test opens more connections than zsupd may have descriptors.
  rlimit mine{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &mine), 0);
  if (mine.rlim_cur < 4096) {
    rlimit raised{4096, std::max<rlim_t>(mine.rlim_max, 4096)};
    if (::setrlimit(RLIMIT_NOFILE, &raised) != 0) GTEST_SKIP() << "cannot raise this test's own open-file limit";
  }
  set_daemon_nofile(1024);
  StartDaemon();
  std::vector<UniqueFd> idle;
  // Connections as fast as zsupd's listeners take them, until it refuses.
  auto connect_more = [&] {
    for (const char* socket : {"/control.sock", "/events.sock"}) {
      const std::string path = dir() + socket;
      for (int i = 0; i < 64 && idle.size() < 3000; ++i) {
        UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, path.data(), path.size());
        if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
          idle.push_back(std::move(fd));
        }
      }
    }
    return Log().find("refusing new connections") != std::string::npos;
  };
  ASSERT_TRUE(WaitUntil(connect_more, seconds(20))) << idle.size() << " connections\n" << Log();
  EXPECT_TRUE(ProcessAlive(daemon_pid())) << Log();
  idle.clear();
  EXPECT_TRUE(WaitUntil([&] { return Call(EncodeRequest(PingRequest{}), seconds(1)).ok(); }))
      << Log();
  EXPECT_NE(Log().find("accepting connections again"), std::string::npos) << Log();
  auto sub = Subscribe({"node_status/w1"});
  ASSERT_TRUE(Create(TestNode("w1")).ok());
  EXPECT_TRUE(sub->Next().has_value()) << "the events socket is back";
}

}  // namespace
}  // namespace zsup::testing
