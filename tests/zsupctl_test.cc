// zsupctl against a real zsupd: each one-shot subcommand's output and exit
// code (tail and events: zsupctl_follow_test.cc; status and show of exits:
// zsupctl_status_test.cc).
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>

#include "tests/zsupctl_fixture.h"

namespace zsup::testing {
namespace {

// ---- finding zsupd, exit codes ----

TEST_F(ZsupctlTest, PingPrintsVersionAndPid) {
  StartDaemon();
  CommandResult r = Run({"ping"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "zsupd " ZSUP_VERSION " (pid " + std::to_string(daemon_pid()) +
                       ", protocol 2) at " +
                       control_endpoint() + "\n");
}

TEST_F(ZsupctlTest, VersionAndHelpOfEverySubcommandNeedNoDaemon) {
  CommandResult v = RunCommand({ZsupctlPath(), "--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.out, "zsupctl " ZSUP_VERSION "\n");
  for (const std::string sub :
       {"status", "show", "create", "destroy", "restart", "tail", "events", "ping"}) {
    CommandResult h = RunCommand({ZsupctlPath(), sub, "--help"});
    EXPECT_EQ(h.exit_code, 0) << sub;
    EXPECT_NE(h.out.find("Usage: zsupctl " + sub), std::string::npos) << sub << ":\n" << h.out;
  }
  CommandResult h = RunCommand({ZsupctlPath(), "--help"});
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.out.find("Exit codes"), std::string::npos);
}

TEST_F(ZsupctlTest, UsageErrorsExitTwoWithoutContactingZsupd) {
  // No daemon: contacting one would exit 3, not 2.
  const std::vector<std::vector<std::string>> cases = {
      {},
      {"frobnicate"},
      {"create"},
      {"create", "w1", "--env", "NOEQUALS"},
      {"create", "w1", "--env", "=value"},
      {"create", "w1", "--interface", "eth0", "--pcap-file", "x.pcap"},
      {"create", "--file", "x.json", "w1"},
      {"create", "--file", "x.json", "--directory", "/tmp"},
      {"create", "w1", "--cpu-affinity", "minus-one"},
      {"create", "w1", "--rotate", "1k", "--", "/bin/true"},
      {"create", "w1", "--stdout-file", "o", "--rotate", "huge", "--", "/bin/true"},
      {"create", "w1", "--tee", "--", "/bin/true"},
      {"create", "w1", "--umask", "999", "--", "/bin/true"},
      {"create", "w1", "--nice", "30", "--", "/bin/true"},
      {"create", "w1", "--rlimit", "nofile", "--", "/bin/true"},
      {"create", "w1", "--rlimit", "nofile=many", "--", "/bin/true"},
      {"destroy"},
      {"destroy", "w1", "--all"},
      {"restart"},
      {"restart", "w1", "--all"},
      {"tail"},
      {"tail", "w1", "--stderr", "--both"},
      {"tail", "w1", "-n", "-3"},
      {"status", "--bogus"},
  };
  for (const auto& args : cases) {
    std::vector<std::string> argv = {"--timeout", "0.2"};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandResult r = Run(argv);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(r.exit_code, 2) << joined << "\n" << r.err;
    EXPECT_FALSE(r.err.empty()) << joined;
    EXPECT_EQ(r.err.find("not answering"), std::string::npos) << joined;
    EXPECT_TRUE(r.err.starts_with("zsupctl")) << "one error style: " << r.err;
    EXPECT_NE(r.err.find("--help' for usage.\n"), std::string::npos) << r.err;
  }
  EXPECT_EQ(RunCommand({ZsupctlPath(), "--timeout", "0", "ping"}).exit_code, 2);
}

TEST_F(ZsupctlTest, UsageErrorsSayWhatIsWrongInOneStyle) {
  const struct {
    std::vector<std::string> args;
    std::string err;
  } cases[] = {
      {{"stauts"},
       "zsupctl: unknown subcommand 'stauts' (did you mean 'status'?)\n"
       "Run 'zsupctl --help' for usage.\n"},
      {{"bogus"}, "zsupctl: unknown subcommand 'bogus'\nRun 'zsupctl --help' for usage.\n"},
      {{"--timeout", "0", "ping"},
       "zsupctl ping: --timeout: must be greater than 0, not '0'\n"
       "Run 'zsupctl ping --help' for usage.\n"},
      {{"create", "e2", "--env", "A=1", "B=2", "--", "sh", "-c", "x"},
       "zsupctl create: unexpected argument 'B=2': the program goes after '--' (create NAME "
       "[OPTIONS] -- CMD [ARGS...]), and an option takes one value each time (--env A=1 --env "
       "B=2)\nRun 'zsupctl create --help' for usage.\n"},
      {{"status", "--", "x"},
       "zsupctl status: takes nothing after '--'\nRun 'zsupctl status --help' for usage.\n"},
      {{"cluster"},
       "zsupctl cluster: a subcommand is required (plan, layout, apply, status)\n"
       "Run 'zsupctl cluster --help' for usage.\n"},
  };
  for (const auto& c : cases) {
    CommandResult r = RunCommand([&] {
      std::vector<std::string> argv = {ZsupctlPath()};
      argv.insert(argv.end(), c.args.begin(), c.args.end());
      return argv;
    }());
    EXPECT_EQ(r.exit_code, 2) << c.args.front();
    EXPECT_EQ(r.err, c.err);
  }
  CommandResult zsupd = RunCommand({ZsupdPath(), "--bogus"});
  EXPECT_EQ(zsupd.exit_code, 2) << "not CLI11's 109";
  EXPECT_EQ(zsupd.err, "zsupd: unexpected argument '--bogus'\nRun 'zsupd --help' for usage.\n");
}

TEST_F(ZsupctlTest, NoSocketSaysSoAtOnceAndExitsThree) {
  const std::string socket = "ipc://" + dir() + "/control.sock";
  for (const auto& args : std::vector<std::vector<std::string>>{{"ping"},
                                                                {"status"},
                                                                {"create", "w1", "--", "/bin/true"},
                                                                {"tail", "-f", "w1"},
                                                                {"events"}}) {
    const auto start = std::chrono::steady_clock::now();
    CommandResult r = Run(args);  // the default --timeout of 5 s
    EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(3)) << args[0];
    EXPECT_EQ(r.exit_code, 3) << args[0];
    EXPECT_NE(r.err.find("zsupctl: no zsupd at " + dir() + " (" + socket +
                         " does not exist); start one with 'zsupd --state-dir " + dir() + "'\n"),
              std::string::npos)
        << args[0] << ": " << r.err;
    EXPECT_EQ(r.out, "") << args[0];
  }
  // A directory that does not exist either; an endpoint without a state directory.
  CommandResult r = RunCommand({ZsupctlPath(), "--state-dir", "/nonexistent", "ping"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(
      r.err.starts_with("zsupctl: no zsupd at /nonexistent (ipc:///nonexistent/"
                        "control.sock does not exist); start one with 'zsupd "
                        "--state-dir /nonexistent'\n"))
      << r.err;
  r = RunCommand({ZsupctlPath(), "--endpoint", socket, "status"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(r.err.starts_with("zsupctl: no zsupd at " + socket + " (" + dir() +
                                "/control.sock does not exist); start one with 'zsupd --control " +
                                socket + "'\n"))
      << r.err;
}

TEST_F(ZsupctlTest, UnreachableDaemonExitsThreeNamingTheSocket) {
  const std::string message = "zsupd is not answering at ipc://" + dir() + "/control.sock";
  // What a zsupd killed with SIGKILL leaves behind: a socket file nothing listens on.
  std::ofstream(dir() + "/control.sock") << "";
  for (const auto& args : std::vector<std::vector<std::string>>{{"ping"},
                                                                {"status"},
                                                                {"create", "w1", "--", "/bin/true"},
                                                                {"destroy", "--all"},
                                                                {"tail", "w1"},
                                                                {"tail", "-f", "w1"},
                                                                {"events"}}) {
    std::vector<std::string> argv = {"--timeout", "0.3"};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandResult r = Run(argv);
    EXPECT_EQ(r.exit_code, 3) << args[0];
    EXPECT_NE(r.err.find(message), std::string::npos) << args[0] << ": " << r.err;
    EXPECT_EQ(r.out, "") << args[0];
  }
  // The same through the environment.
  CommandResult r = RunCommand({ZsupctlPath(), "--timeout", "0.3", "ping"}, seconds(20),
                               {"ZSUP_STATE_DIR=" + dir()});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
}

TEST_F(ZsupctlTest, FindsZsupdThroughFlagsAndEnvironment) {
  StartDaemon();
  const std::string nowhere = "ZSUP_STATE_DIR=/nonexistent/zsup";
  auto ping = [](std::vector<std::string> argv, std::vector<std::string> env) {
    argv.insert(argv.begin(), ZsupctlPath());
    argv.insert(argv.begin() + 1, {"--timeout", "2"});
    argv.push_back("ping");
    return RunCommand(argv, seconds(20), env);
  };
  EXPECT_EQ(ping({}, {"ZSUP_STATE_DIR=" + dir()}).exit_code, 0);
  EXPECT_EQ(ping({}, {nowhere, "ZSUP_CONTROL=" + control_endpoint()}).exit_code, 0);
  EXPECT_EQ(ping({"--endpoint", control_endpoint()}, {nowhere}).exit_code, 0);
  // A flag beats the environment.
  EXPECT_EQ(
      ping({"--state-dir", dir()}, {"ZSUP_CONTROL=ipc:///nonexistent/control.sock"}).exit_code, 0);
  // Global options also work after the subcommand.
  CommandResult after =
      RunCommand({ZsupctlPath(), "ping", "--state-dir", dir(), "--timeout", "2"}, seconds(20));
  EXPECT_EQ(after.exit_code, 0) << after.err;
  // The events endpoint follows the same rules.
  BackgroundCommand events(
      {ZsupctlPath(), "--endpoint", control_endpoint(), "--events", events_endpoint(), "events"},
      {nowhere});
  ASSERT_TRUE(Create(TestNode("w1")).ok());
  EXPECT_TRUE(RestartUntilSeen(events, "w1", " w1 started pid ")) << events.output().err;
  EXPECT_EQ(events.Stop().exit_code, 0);
}

// With no flag and no ZSUP_* variable, zsupd and zsupctl agree on the
// default state directory ($XDG_STATE_HOME/zsup here), and zsupd says which.
TEST_F(ZsupctlTest, ZsupdAndZsupctlMeetInTheDefaultStateDirectory) {
  const std::vector<std::string> env = {"ZSUP_STATE_DIR", "ZSUP_CONTROL", "ZSUP_EVENTS",
                                        "XDG_STATE_HOME=" + dir() + "/xdg"};
  const std::string state_dir = dir() + "/xdg/zsup";
  BackgroundCommand zsupd({ZsupdPath(), "--stem", StemPath(), "--no-echo"}, env);
  ASSERT_TRUE(zsupd.WaitForOutput([&](const CommandResult& r) {
    return r.err.find("using state directory " + state_dir) != std::string::npos;
  })) << zsupd.output().err;
  CommandResult ping;
  EXPECT_TRUE(WaitUntil([&] {
    ping = RunCommand({ZsupctlPath(), "--timeout", "1", "ping"}, seconds(20), env);
    return ping.exit_code == 0;
  })) << ping.err;
  struct stat st {};
  ASSERT_EQ(::stat(state_dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(zsupd.Stop(SIGTERM, seconds(20)).exit_code, 0) << zsupd.output().err;
}

// ---- create, status ----

TEST_F(ZsupctlTest, CreateStartsTheNodeAndStatusShowsIt) {
  StartDaemon();
  CommandResult r = Run({"create", "w1", "--", TestNodePath(), "--lines=1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "created w1\n");
  const int64_t pid = WaitRunning("w1");
  ASSERT_GT(pid, 0);

  CommandResult s = Run({"status"});
  EXPECT_EQ(s.exit_code, 0) << s.err;
  std::vector<std::string> lines = Lines(s.out);
  ASSERT_EQ(lines.size(), 3u) << s.out;
  EXPECT_EQ(lines[2], "1 node: 1 running") << "the summary line";
  EXPECT_EQ(s.out.find("\x1b["), std::string::npos) << "no colour when stdout is no terminal";
  for (const char* column : {"NAME", "STATE", "READY", "PID", "UPTIME", "RESTARTS", "LAST EXIT"}) {
    EXPECT_NE(lines[0].find(column), std::string::npos) << lines[0];
  }
  std::istringstream row(lines[1]);
  std::string name, state, ready, pid_text, uptime, restarts, last_exit;
  row >> name >> state >> ready >> pid_text >> uptime >> restarts >> last_exit;
  EXPECT_EQ(name, "w1");
  EXPECT_EQ(state, "running");
  EXPECT_EQ(ready, "yes");
  EXPECT_EQ(pid_text, std::to_string(pid));
  EXPECT_TRUE(uptime.ends_with("s") || uptime.ends_with("m")) << uptime;
  EXPECT_EQ(restarts, "0");
  EXPECT_EQ(last_exit, "-");

  CommandResult one = Run({"status", "w1"});
  EXPECT_EQ(one.exit_code, 0);
  EXPECT_EQ(Lines(one.out).size(), 3u);

  CommandResult none = Run({"status", "nope"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_EQ(none.out, "");
  EXPECT_NE(none.err.find("no node named 'nope'"), std::string::npos) << none.err;
}

TEST_F(ZsupctlTest, StopAndStartTakeSeveralNamesOrANamespace) {
  StartDaemon();
  for (const char* n : {"a", "b"}) {
    ASSERT_EQ(Run({"create", n, "--namespace", "zeek", "--", TestNodePath()}).exit_code, 0);
  }
  ASSERT_EQ(Run({"create", "c", "--", TestNodePath()}).exit_code, 0);
  for (const char* n : {"a", "b", "c"}) ASSERT_GT(WaitRunning(n), 0);
  CommandResult r = Run({"stop", "a", "b"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "stopping a b\n");
  EXPECT_TRUE(WaitUntil([&] {
    auto s = GetStatus();
    return s.ok() && s->nodes.at("a").state == NodeState::kStopped &&
           s->nodes.at("b").state == NodeState::kStopped;
  }));
  EXPECT_NE(Run({"status"}).out.find("stopped"), std::string::npos);
  r = Run({"stop", "a", "nope"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no node named 'nope'"), std::string::npos) << r.err;
  r = Run({"start", "--namespace", "zeek"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "starting the nodes of namespace zeek\n");
  EXPECT_GT(WaitRunning("a"), 0);
  EXPECT_GT(WaitRunning("b"), 0);
  EXPECT_EQ(Run({"stop"}).exit_code, 2);
  EXPECT_EQ(Run({"stop", "a", "--all"}).exit_code, 2);
}

TEST_F(ZsupctlTest, ApplyPrintsWhatChangedAndPrunesItsNamespace) {
  StartDaemon();
  const std::string v1 = WriteFile("v1.json", "[" + JsonNode("a") + ", " + JsonNode("b") + "]");
  CommandResult r = Run({"apply", v1, "--namespace", "zeek"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "created a\ncreated b\n");
  const std::string v2 = WriteFile(
      "v2.json", "[" + JsonNode("a") + ", " + JsonNode("c", R"(, "env": {"X": "1"})") + "]");
  r = Run({"apply", v2, "--namespace", "zeek", "--prune", "--dry-run"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "would be created c\nunchanged a\nwould be destroyed b\n");
  r = Run({"apply", v2, "--namespace", "zeek", "--prune"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "created c\nunchanged a\ndestroyed b\n");
  EXPECT_EQ(Run({"apply", v2, "--prune"}).exit_code, 2) << "--prune without --namespace";
  r = Run({"apply", WriteFile("bad.json", "[" + JsonNode("a") + ", " + JsonNode("a") + "]")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("nothing was applied"), std::string::npos) << r.err;
}

TEST_F(ZsupctlTest, GlobsSelectByNameAndWaitWaitsForTheNewState) {
  StartDaemon();
  for (const char* n : {"worker-1", "worker-2", "proxy"}) {
    ASSERT_EQ(Run({"create", n, "--", TestNodePath()}).exit_code, 0);
  }
  CommandResult r = Run({"stop", "worker-*", "--wait"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "stopping worker-1 worker-2\n");
  // --wait returned: both are stopped already, the proxy untouched.
  EXPECT_EQ(StateOf("worker-1"), NodeState::kStopped);
  EXPECT_EQ(StateOf("worker-2"), NodeState::kStopped);
  EXPECT_GT(WaitRunning("proxy"), 0);
  r = Run({"status", "w*-?"});
  EXPECT_EQ(Lines(r.out).size(), 4u) << r.out;
  r = Run({"start", "worker-[12]", "--wait"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto s = NodeStatusOf("worker-2");
  EXPECT_EQ(s->state, NodeState::kRunning);
  EXPECT_EQ(s->ready, true);
  r = Run({"restart", "nomatch-*"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no node matches 'nomatch-*'"), std::string::npos) << r.err;
}

TEST_F(ZsupctlTest, CreateTakesReadinessAndStage) {
  StartDaemon();
  CommandResult r = Run({"create", "m", "--ready", "tcp:27999", "--ready-timeout", "5", "--stage",
                         "2", "--", TestNodePath()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto s = NodeStatusOf("m");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->node.ready, "tcp:27999");
  EXPECT_EQ(s->node.ready_timeout, 5.0);
  EXPECT_EQ(s->node.stage, 2);
  r = Run({"create", "x", "--ready", "later", "--", TestNodePath()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("config.ready: must be"), std::string::npos) << r.err;
}

TEST_F(ZsupctlTest, WaitReportsANodeThatFailsOrTakesTooLong) {
  StartDaemon();
  NodeConfig never = TestNode("never");
  never.ready = "notify";  // never sends READY=1
  ASSERT_TRUE(Create(never).ok());
  CommandResult r = Run({"restart", "never", "--wait", "--wait-timeout", "1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--wait: still on their way after 1 s: never"), std::string::npos) << r.err;

  // It never runs (its exec fails: 127), so --wait cannot see it running.
  NodeConfig broken;
  broken.name = "broken";
  broken.command = {"/nonexistent/program"};
  broken.permanent_failure_codes = {127};
  ASSERT_TRUE(Create(broken).ok());
  ASSERT_TRUE(WaitState("broken", NodeState::kFailed));
  r = Run({"start", "broken", "--wait"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("node 'broken' failed: exit code 127 is a permanent failure"),
            std::string::npos)
      << r.err;
  r = Run({"status"});
  EXPECT_NE(r.err.find("broken: failed: exit code 127 is a permanent failure"), std::string::npos)
      << "on stderr, not inside the table: " << r.err;
  EXPECT_EQ(r.out.find("permanent failure"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" 1 failed\n"), std::string::npos) << r.out;
}

TEST_F(ZsupctlTest, StatusSortsNamesAsAPersonWould) {
  StartDaemon();
  for (const char* n : {"w10", "w2", "w1"}) ASSERT_TRUE(Create(TestNode(n)).ok());
  CommandResult r = Run({"status"});
  const std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 5u) << r.out;
  EXPECT_TRUE(lines[1].starts_with("w1 ")) << r.out;
  EXPECT_TRUE(lines[2].starts_with("w2 ")) << r.out;
  EXPECT_TRUE(lines[3].starts_with("w10 ")) << r.out;
  EXPECT_TRUE(lines[4].starts_with("3 nodes: ")) << r.out;
  json nodes = json::parse(Run({"status", "--json"}).out, nullptr, false);
  ASSERT_EQ(nodes.size(), 3u);
  EXPECT_EQ(nodes[2]["name"], "w10");
}

TEST_F(ZsupctlTest, StatusWithoutNodesSaysSo) {
  StartDaemon();
  CommandResult r = Run({"status"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "no nodes\n");
  CommandResult j = Run({"status", "--json"});
  EXPECT_EQ(j.exit_code, 0);
  EXPECT_EQ(json::parse(j.out), json::array());
}

TEST_F(ZsupctlTest, CreateRefusalsExitOneWithZsupdsMessage) {
  StartDaemon();
  ASSERT_EQ(Run({"create", "w1", "--", TestNodePath()}).exit_code, 0);
  CommandResult dup = Run({"create", "w1", "--", TestNodePath()});
  EXPECT_EQ(dup.exit_code, 1);
  EXPECT_NE(dup.err.find("node with name 'w1' already exists"), std::string::npos) << dup.err;
  CommandResult space = Run({"create", "a b", "--", TestNodePath()});
  EXPECT_EQ(space.exit_code, 1);
  EXPECT_NE(space.err.find("node names must not contain spaces: 'a b'"), std::string::npos)
      << space.err;
}

TEST_F(ZsupctlTest, CreateOptionsBecomeTheNodeConfig) {
  StartDaemon();
  const std::string workdir = dir() + "/w2dir";
  CommandResult r = Run({"create",         "w2",
                         "--directory",    workdir,
                         "--stdout-file",  "out.log",
                         "--stderr-file",  "err.log",
                         "--env",          "A=1",
                         "--env",          "B=x=y",
                         "--cpu-affinity", "0",
                         "--interface",    "lo",
                         "--bare-mode",    "--base-script",
                         "b.zeek",         "--user-script",
                         "u1.zeek",        "--user-script",
                         "u2.zeek",        "--",
                         TestNodePath(),   "--print-args",
                         "--lines=1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto s = NodeStatusOf("w2");
  ASSERT_TRUE(s.has_value());
  const NodeConfig& c = s->node;
  EXPECT_EQ(c.directory, workdir);
  EXPECT_EQ(c.stdout_file, "out.log");
  EXPECT_EQ(c.stderr_file, "err.log");
  EXPECT_EQ(c.env, (std::map<std::string, std::string>{{"A", "1"}, {"B", "x=y"}}));
  EXPECT_EQ(c.cpu_affinity, 0);
  EXPECT_EQ(c.interface, "lo");
  EXPECT_FALSE(c.pcap_file.has_value());
  EXPECT_EQ(c.bare_mode, true);
  EXPECT_EQ(c.addl_base_scripts, std::vector<std::string>{"b.zeek"});
  EXPECT_EQ(c.addl_user_scripts, (std::vector<std::string>{"u1.zeek", "u2.zeek"}));
  EXPECT_EQ(c.command, (std::vector<std::string>{TestNodePath(), "--print-args", "--lines=1"}));

  // Options left out stay unset.
  ASSERT_EQ(Run({"create", "w3", "--", TestNodePath()}).exit_code, 0);
  auto plain = NodeStatusOf("w3");
  ASSERT_TRUE(plain.has_value());
  EXPECT_FALSE(plain->node.directory || plain->node.cpu_affinity || plain->node.bare_mode ||
               plain->node.interface || plain->node.stdout_file);
}

TEST_F(ZsupctlTest, CreateExecutionOptionsBecomeTheNodeConfig) {
  StartDaemon();
  ::mkdir((dir() + "/cwd").c_str(), 0755);
  auto in_cwd = [&](std::vector<std::string> args) {
    std::string script = "cd '" + dir() + "/cwd' && exec";
    for (const std::string& a : Ctl(args)) script += " '" + a + "'";
    return RunCommand({"/bin/sh", "-c", script});
  };
  CommandResult r = in_cwd({"create", "x1", "--directory", "work", "--stdout-file", "out.log",
                            "--stderr-file", "err.log", "--rotate", "10M:3", "--tee", "--user",
                            "root", "--group", "0", "--cap", "CAP_NET_RAW", "--cap",
                            "cap_net_admin", "--umask", "027", "--nice", "5", "--rlimit",
                            "nofile=4096:8192", "--rlimit", "core=unlimited", "--", "/bin/true"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto s = NodeStatusOf("x1");
  ASSERT_TRUE(s.has_value());
  const NodeConfig& c = s->node;
  EXPECT_EQ(c.directory, dir() + "/cwd/work") << "relative to zsupctl's working directory";
  EXPECT_EQ(c.stdout_file, "out.log") << "inside --directory";
  EXPECT_EQ(c.stdout_rotate, (Rotation{10 << 20, 3}));
  EXPECT_EQ(c.stderr_rotate, (Rotation{10 << 20, 3}));
  EXPECT_EQ(c.tee, true);
  EXPECT_EQ(c.user, "root");
  EXPECT_EQ(c.group, "0");
  EXPECT_EQ(c.capabilities, (std::vector<std::string>{"CAP_NET_RAW", "cap_net_admin"}));
  EXPECT_EQ(c.umask, 027);
  EXPECT_EQ(c.nice, 5);
  EXPECT_EQ(c.rlimits, (std::map<std::string, Rlimit>{{"core", Rlimit{-1, -1}},
                                                      {"nofile", Rlimit{4096, 8192}}}));
  // Without --directory, a relative file is made absolute too.
  r = in_cwd({"create", "x2", "--stdout-file", "logs/x2.out", "--", "/bin/true"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(NodeStatusOf("x2")->node.stdout_file, dir() + "/cwd/logs/x2.out");
  // zsupd's refusal names the field.
  r = Run({"create", "x3", "--user", "no-such-user-zsup", "--", "/bin/true"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("config.user: no user named 'no-such-user-zsup'"), std::string::npos)
      << r.err;
}

TEST_F(ZsupctlTest, ReopenMovesOutputToTheNewFile) {
  StartDaemon();
  const std::string out = dir() + "/ticker/out.log";
  ASSERT_EQ(Run({"create", "ticker", "--directory", dir() + "/ticker", "--stdout-file", "out.log",
                 "--", "/bin/sh", "-c", "while :; do echo tick; sleep 0.02; done"})
                .exit_code,
            0);
  ASSERT_TRUE(WaitUntil([&] { return !ReadFile(out).empty(); }));
  ASSERT_EQ(::rename(out.c_str(), (out + ".1").c_str()), 0);
  CommandResult r = Run({"reopen"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "reopening the files of all nodes\n");
  EXPECT_TRUE(WaitUntil([&] { return ReadFile(out).find("tick\n") != std::string::npos; }))
      << "the node still writes into the moved file";
  r = Run({"reopen", "nope"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("nope"), std::string::npos) << r.err;
}

TEST_F(ZsupctlTest, KeygenAndCurveKeysReachATcpZsupd) {
  const std::string control = "tcp://127.0.0.1:" + std::to_string(FreePort());
  const std::string events = "tcp://127.0.0.1:" + std::to_string(FreePort());
  StartDaemon({"--control", control, "--events", events});
  const std::string keys = dir() + "/laptop";
  CommandResult r = RunCommand({ZsupctlPath(), "keygen", keys});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  struct stat st {};
  ASSERT_EQ(::stat((keys + ".secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(RunCommand({ZsupctlPath(), "keygen", keys}).exit_code, 1) << "never replaced";
  const std::string server_key = dir() + "/curve/server.key";
  auto remote = [&](std::vector<std::string> args, std::vector<std::string> env = {}) {
    std::vector<std::string> argv = {ZsupctlPath(), "--endpoint", control, "--events", events,
                                     "--timeout", "1"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, seconds(20), env);
  };
  // Not authorized yet, and no keys at all: unreachable, with the hint.
  r = remote({"ping"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("needs --server-key and --client-key"), std::string::npos) << r.err;
  r = remote({"--server-key", server_key, "ping"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("CURVE needs both keys"), std::string::npos) << r.err;
  // Read-only first: may look, may not change.
  ASSERT_EQ(::link((keys + ".key").c_str(), (dir() + "/curve/readonly/laptop").c_str()), 0);
  const std::vector<std::string> with_keys = {"--server-key", server_key, "--client-key",
                                              keys + ".secret"};
  ASSERT_TRUE(WaitUntil([&] {
    std::vector<std::string> args = with_keys;
    args.push_back("ping");
    return remote(args).exit_code == 0;
  }));
  std::vector<std::string> create = with_keys;
  create.insert(create.end(), {"create", "far", "--", TestNodePath(), "--forever"});
  r = remote(create);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("permission denied: read-only key"), std::string::npos) << r.err;
  // Full access, through the environment this time.
  ::unlink((dir() + "/curve/readonly/laptop").c_str());
  ASSERT_EQ(::link((keys + ".key").c_str(), (dir() + "/curve/authorized/laptop").c_str()), 0);
  const std::vector<std::string> env = {"ZSUP_SERVER_KEY=" + server_key,
                                        "ZSUP_CLIENT_KEY=" + keys + ".secret"};
  ASSERT_TRUE(WaitUntil([&] {
    return remote({"create", "far", "--", TestNodePath(), "--forever"}, env).exit_code == 0;
  }));
  r = remote({"status", "--json"}, env);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"far\""), std::string::npos) << r.out;
}

// ---- destroy, restart ----

TEST_F(ZsupctlTest, DestroyAndRestartOneOrAll) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("w1")).ok());
  ASSERT_TRUE(Create(TestNode("w2")).ok());
  int64_t p1 = WaitRunning("w1"), p2 = WaitRunning("w2");
  ASSERT_GT(p1, 0);
  ASSERT_GT(p2, 0);

  CommandResult r = Run({"restart", "w1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "restarting w1\n");
  p1 = WaitNewPid("w1", p1);
  EXPECT_GT(p1, 0);
  EXPECT_EQ(NodeStatusOf("w2")->pid, p2);

  r = Run({"restart", "--all"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "restarting all nodes\n");
  EXPECT_GT(WaitNewPid("w1", p1), 0);
  EXPECT_GT(WaitNewPid("w2", p2), 0);

  r = Run({"restart", "nope"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no node named 'nope'"), std::string::npos) << r.err;

  r = Run({"destroy", "w1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "destroyed w1\n");
  EXPECT_FALSE(GetStatus()->nodes.contains("w1"));
  r = Run({"destroy", "w1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no node named 'w1'"), std::string::npos) << r.err;

  ASSERT_TRUE(Create(TestNode("w3")).ok());
  r = Run({"destroy", "--all"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "destroyed all nodes\n");
  EXPECT_TRUE(GetStatus()->nodes.empty());
}

}  // namespace
}  // namespace zsup::testing
