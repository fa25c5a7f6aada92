// zsupctl against a real zsupd: each subcommand's output and exit code.
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/daemon_fixture.h"

namespace zsup::testing {
namespace {

using nlohmann::json;

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The table row of `node` (starts with the name and a blank), or "".
std::string Row(const std::string& table, const std::string& node) {
  for (const std::string& line : Lines(table)) {
    if (line.starts_with(node + " ")) return line;
  }
  return "";
}

std::string JoinLines(const std::vector<std::string>& lines) {
  std::string s;
  for (const std::string& l : lines) s += l + "\n";
  return s;
}

class ZsupctlTest : public DaemonTest {
 protected:
  // zsupctl --state-dir DIR ARGS...
  std::vector<std::string> Ctl(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {ZsupctlPath(), "--state-dir", dir()};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  CommandResult Run(const std::vector<std::string>& args,
                    const std::vector<std::string>& env = {}) {
    return RunCommand(Ctl(args), seconds(20), env);
  }
  std::string WriteFile(const std::string& name, const std::string& content) const {
    const std::string path = dir() + "/" + name;
    std::ofstream(path) << content;
    return path;
  }
  // A node config in Zeek's JSON form running test_node (args as a JSON array).
  static std::string JsonNode(const std::string& name, const std::string& extra = "") {
    return R"({"name": ")" + name + R"(", "command": [")" + TestNodePath() + "\"]" + extra + "}";
  }
  // Restarts `node` until `events` printed something about it: the only way
  // to know a follower's subscription is in place before the test acts.
  bool RestartUntilSeen(BackgroundCommand& events, const std::string& node,
                        const std::string& marker) {
    for (int attempt = 0; attempt < 20; ++attempt) {
      EXPECT_TRUE(Restart(node).ok());
      if (events.WaitForOutput([&](const CommandResult& r) { return Count(r.out, marker) > 0; },
                               milliseconds(1500))) {
        return true;
      }
    }
    return false;
  }
};

// ---- finding zsupd, exit codes ----

TEST_F(ZsupctlTest, PingPrintsVersionAndPid) {
  StartDaemon();
  CommandResult r = Run({"ping"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "zsupd " ZSUP_VERSION " (pid " + std::to_string(daemon_pid()) + ") at " +
                       control_endpoint() + "\n");
}

TEST_F(ZsupctlTest, VersionAndHelpOfEverySubcommandNeedNoDaemon) {
  CommandResult v = RunCommand({ZsupctlPath(), "--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.out, "zsupctl " ZSUP_VERSION "\n");
  for (const std::string sub :
       {"status", "create", "destroy", "restart", "tail", "events", "ping"}) {
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
  }
  EXPECT_EQ(RunCommand({ZsupctlPath(), "--timeout", "0", "ping"}).exit_code, 2);
}

TEST_F(ZsupctlTest, UnreachableDaemonExitsThreeNamingTheSocket) {
  const std::string message = "zsupd is not answering at ipc://" + dir() + "/control.sock";
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
  ASSERT_EQ(lines.size(), 2u) << s.out;
  for (const char* column : {"NAME", "STATE", "PID", "UPTIME", "RESTARTS", "LAST EXIT"}) {
    EXPECT_NE(lines[0].find(column), std::string::npos) << lines[0];
  }
  std::istringstream row(lines[1]);
  std::string name, state, pid_text, uptime, restarts, last_exit;
  row >> name >> state >> pid_text >> uptime >> restarts >> last_exit;
  EXPECT_EQ(name, "w1");
  EXPECT_EQ(state, "running");
  EXPECT_EQ(pid_text, std::to_string(pid));
  EXPECT_TRUE(uptime.ends_with("s") || uptime.ends_with("m")) << uptime;
  EXPECT_EQ(restarts, "0");
  EXPECT_EQ(last_exit, "-");

  CommandResult one = Run({"status", "w1"});
  EXPECT_EQ(one.exit_code, 0);
  EXPECT_EQ(Lines(one.out).size(), 2u);

  CommandResult none = Run({"status", "nope"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_EQ(none.out, "");
  EXPECT_NE(none.err.find("no node named 'nope'"), std::string::npos) << none.err;
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

TEST_F(ZsupctlTest, StatusJsonParsesBack) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("w1")).ok());
  ASSERT_TRUE(Create(TestNode("w2", {"--exit=3"})).ok());
  const int64_t pid = WaitRunning("w1");
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(WaitUntil([&] {
    auto s = NodeStatusOf("w2");
    return s && s->last_exit && s->last_exit->code == 3;
  }));

  CommandResult r = Run({"status", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json nodes = json::parse(r.out);
  ASSERT_TRUE(nodes.is_array());
  ASSERT_EQ(nodes.size(), 2u);
  const json& w1 = nodes[0];
  const json& w2 = nodes[1];
  EXPECT_EQ(w1["name"], "w1");
  EXPECT_EQ(w1["state"], "running");
  EXPECT_EQ(w1["pid"], pid);
  EXPECT_TRUE(w1["started_at"].is_number());
  EXPECT_TRUE(w1["uptime_seconds"].is_number());
  EXPECT_GE(w1["uptime_seconds"].get<double>(), 0);
  EXPECT_EQ(w1["restarts"], 0);
  EXPECT_TRUE(w1["last_exit"].is_null());
  EXPECT_TRUE(w1["last_error"].is_null());
  EXPECT_EQ(w1["config"]["name"], "w1");
  EXPECT_EQ(w1["config"]["command"], json::array({TestNodePath()}));
  EXPECT_EQ(w1["config"]["env"], json::object());

  EXPECT_EQ(w2["name"], "w2");
  EXPECT_EQ(w2["last_exit"]["code"], 3);
  EXPECT_TRUE(w2["last_exit"]["signal"].is_null());
  EXPECT_TRUE(w2["last_exit"]["at"].is_number());
  EXPECT_TRUE(w2.contains("pid"));  // null or a number, but always there

  CommandResult one = Run({"status", "w2", "--json"});
  ASSERT_EQ(one.exit_code, 0);
  json only = json::parse(one.out);
  ASSERT_EQ(only.size(), 1u);
  EXPECT_EQ(only[0]["name"], "w2");

  CommandResult none = Run({"status", "nope", "--json"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_EQ(none.out, "");
}

TEST_F(ZsupctlTest, StatusTableDescribesTheLastExit) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("w1")).ok());
  ASSERT_TRUE(Create(TestNode("w2", {"--exit=3"})).ok());
  const int64_t pid = WaitRunning("w1");
  ASSERT_GT(pid, 0);
  ::kill(static_cast<pid_t>(pid), SIGKILL);
  ASSERT_TRUE(WaitUntil([&] {
    auto w1 = NodeStatusOf("w1");
    auto w2 = NodeStatusOf("w2");
    return w1 && w1->last_exit && w2 && w2->last_exit;
  }));
  CommandResult r = Run({"status"});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(Row(r.out, "w1").find("SIGKILL"), std::string::npos) << r.out;
  EXPECT_TRUE(Row(r.out, "w1").ends_with(" ago")) << r.out;
  EXPECT_NE(Row(r.out, "w2").find("code 3 "), std::string::npos) << r.out;
}

// ---- create --file ----

TEST_F(ZsupctlTest, CreateFileCreatesAWholeCluster) {
  StartDaemon();
  const std::string cluster =
      R"(, "cluster": {
        "manager": {"role": "Supervisor::MANAGER", "host": "127.0.0.1", "p": {"port": 27761, "proto": "tcp"}},
        "worker-1": {"role": "Supervisor::WORKER", "host": "127.0.0.1", "p": {"port": 27762, "proto": "tcp"}, "interface": "eth0"},
        "worker-2": {"role": "WORKER", "host": "127.0.0.1", "p": {"port": 27763, "proto": "tcp"}, "interface": "eth1"}
      })";
  const std::string file = WriteFile("cluster.json", "[" + JsonNode("manager", cluster) + ",\n" +
                                                         JsonNode("worker-1", cluster) + ",\n" +
                                                         JsonNode("worker-2", cluster) + "]\n");
  CommandResult r = Run({"create", "--file", file});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "created manager\ncreated worker-1\ncreated worker-2\n");
  auto status = GetStatus();
  ASSERT_TRUE(status.ok());
  ASSERT_EQ(status->nodes.size(), 3u);
  const auto& ep = status->nodes.at("worker-2").node.cluster.at("worker-1");
  EXPECT_EQ(ep.role, ClusterRole::kWorker);
  EXPECT_EQ(ep.p.port, 27762);
  EXPECT_EQ(ep.interface, "eth0");
  EXPECT_EQ(status->nodes.at("manager").node.cluster.at("manager").role, ClusterRole::kManager);
  EXPECT_GT(WaitRunning("worker-2"), 0);

  // One object (not a list) is fine too, and "-" reads standard input... via a file here.
  CommandResult solo = Run({"create", "--file", WriteFile("solo.json", JsonNode("solo"))});
  EXPECT_EQ(solo.exit_code, 0) << solo.err;
  EXPECT_EQ(solo.out, "created solo\n");
}

TEST_F(ZsupctlTest, CreateFileWithAnInvalidEntryCreatesNothing) {
  StartDaemon();
  const std::string both = R"(, "interface": "eth0", "pcap_file": "x.pcap")";
  const std::string bad =
      WriteFile("bad.json", "[" + JsonNode("manager") + ", " + JsonNode("worker-1") + ", " +
                                JsonNode("worker-2", both) + ", " + JsonNode("worker 3") + "]");
  CommandResult r = Run({"create", "--file", bad});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("nothing was created"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[2] 'worker-2': node with name 'worker-2' has interface and pcap_file set"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("[3] 'worker 3': node names must not contain spaces"), std::string::npos)
      << r.err;
  EXPECT_TRUE(GetStatus()->nodes.empty());

  struct Case {
    std::string name, content, expect;
  };
  for (const Case& c : std::vector<Case>{
           {"syntax.json", "[" + JsonNode("a") + ",", "not valid JSON"},
           {"typo.json", "[" + JsonNode("a") + ", " + JsonNode("b", R"(, "enviroment": {})") + "]",
            "enviroment"},
           {"twice.json", "[" + JsonNode("a") + ", " + JsonNode("a") + "]",
            "the file names it twice"},
           {"empty.json", "[]", "no node configs"},
       }) {
    CommandResult e = Run({"create", "--file", WriteFile(c.name, c.content)});
    EXPECT_EQ(e.exit_code, 2) << c.name;
    EXPECT_NE(e.err.find(c.expect), std::string::npos) << c.name << ": " << e.err;
  }
  CommandResult missing = Run({"create", "--file", dir() + "/missing.json"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("No such file"), std::string::npos) << missing.err;
  EXPECT_TRUE(GetStatus()->nodes.empty());
}

TEST_F(ZsupctlTest, CreateFileReportsEachNodeAndExitsOneOnRefusal) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("w2")).ok());
  const std::string file = WriteFile(
      "nodes.json", "[" + JsonNode("w1") + ", " + JsonNode("w2") + ", " + JsonNode("w3") + "]");
  CommandResult r = Run({"create", "--file", file});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "created w1\nw2: node with name 'w2' already exists\ncreated w3\n");
  EXPECT_NE(r.err.find("refused 1 of 3"), std::string::npos) << r.err;
  EXPECT_EQ(GetStatus()->nodes.size(), 3u);
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

// ---- tail ----

TEST_F(ZsupctlTest, TailPrintsTheLastLinesOfAStream) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("w1", {"--lines=20", "--stream=both"})).ok());
  ASSERT_TRUE(WaitUntil([&] {
    auto out = Tail("w1", Stream::kStdout, 100);
    auto err = Tail("w1", Stream::kStderr, 100);
    return out.ok() && out->size() == 20 && err.ok() && err->size() == 20;
  }));
  std::vector<std::string> last10;
  for (int i = 11; i <= 20; ++i) last10.push_back("line " + std::to_string(i));

  CommandResult r = Run({"tail", "w1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, JoinLines(last10));
  EXPECT_EQ(r.err, "");

  r = Run({"tail", "-n", "3", "w1"});
  EXPECT_EQ(r.out, "line 18\nline 19\nline 20\n");
  r = Run({"tail", "-n", "0", "w1"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  r = Run({"tail", "--stderr", "-n", "2", "w1"});
  EXPECT_EQ(r.out, "line 19\nline 20\n");
  EXPECT_EQ(r.err, "");
  // --both: the node's stdout on ours, its stderr on ours.
  r = Run({"tail", "--both", "-n", "2", "w1"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "line 19\nline 20\n");
  EXPECT_EQ(r.err, "line 19\nline 20\n");

  r = Run({"tail", "nope"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no node named 'nope'"), std::string::npos) << r.err;
  r = Run({"tail", "-f", "nope"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no node named 'nope'"), std::string::npos) << r.err;
}

TEST_F(ZsupctlTest, TailFollowPrintsOnlyItsNodeWithoutDuplicatesOrGaps) {
  StartDaemon();
  // w10's name starts with "w1": a subscription to "stdout/w1" receives both.
  auto node = [](const std::string& name) {
    return TestNode(name, {"--print-args", "--lines=2", "--", "mark-" + name});
  };
  ASSERT_TRUE(Create(node("w1")).ok());
  ASSERT_TRUE(Create(node("w10")).ok());
  auto lines_of = [&](const std::string& name) {
    auto t = Tail(name, Stream::kStdout, 1000);
    return t.ok() ? t->size() : 0u;
  };
  ASSERT_TRUE(WaitUntil([&] { return lines_of("w1") == 7 && lines_of("w10") == 7; }));
  auto history = Tail("w1", Stream::kStdout, 1000);
  ASSERT_TRUE(history.ok());
  std::vector<std::string> run;
  for (const OutputLine& l : *history) run.push_back(l.msg);

  BackgroundCommand tail(Ctl({"tail", "-f", "-n", "100", "w1"}));
  // History printed means the subscription is in place (it comes first).
  ASSERT_TRUE(tail.WaitForOutput([](const CommandResult& r) {
    return Count(r.out, "mark-w1\n") == 1;
  })) << tail.output().err;

  // w10's second run is published entirely before w1's second run, so once
  // w1's lines are printed, w10's have been seen and dropped.
  ASSERT_TRUE(Restart("w10").ok());
  ASSERT_TRUE(WaitUntil([&] { return lines_of("w10") == 14; }));
  ASSERT_TRUE(Restart("w1").ok());
  EXPECT_TRUE(tail.WaitForOutput([](const CommandResult& r) { return Count(r.out, "\n") >= 14; }))
      << tail.output().out;

  CommandResult r = tail.Stop(SIGINT);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> twice = run;
  twice.insert(twice.end(), run.begin(), run.end());
  EXPECT_EQ(r.out, JoinLines(twice));
  EXPECT_EQ(Count(r.out, "mark-w10"), 0u);
  EXPECT_EQ(r.err, "");
}

TEST_F(ZsupctlTest, TailFollowWithoutHistoryPrintsOnlyNewLines) {
  StartDaemon();
  NodeConfig node;
  node.name = "w1";
  node.command = {"/bin/sh", "-c", "echo run $$ >&2; exec sleep 1000"};
  ASSERT_TRUE(Create(node).ok());
  const int64_t first = WaitRunning("w1");
  ASSERT_GT(first, 0);
  const std::string old_line = "run " + std::to_string(first) + "\n";
  ASSERT_TRUE(WaitUntil([&] {
    auto t = Tail("w1", Stream::kStderr, 10);
    return t.ok() && t->size() == 1 && t->front().msg + "\n" == old_line;
  }));
  BackgroundCommand tail(Ctl({"tail", "-f", "-n", "0", "--stderr", "w1"}));
  // Nothing shows readiness here: restart until a new line arrives.
  bool seen = false;
  for (int i = 0; i < 20 && !seen; ++i) {
    ASSERT_TRUE(Restart("w1").ok());
    seen = tail.WaitForOutput([](const CommandResult& r) { return Count(r.out, "run ") > 0; },
                              milliseconds(1500));
  }
  ASSERT_TRUE(seen);
  CommandResult r = tail.Stop(SIGTERM);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(Count(r.out, old_line), 0u) << r.out;  // the history was not printed
  EXPECT_EQ(r.err, "");
}

TEST_F(ZsupctlTest, TailFollowCarriesOnAcrossAZsupdRestart) {
  StartDaemon();
  NodeConfig ticker;
  ticker.name = "ticker";
  ticker.command = {"/bin/sh", "-c", "i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.05; done"};
  ASSERT_TRUE(Create(ticker).ok());
  BackgroundCommand tail(Ctl({"tail", "-f", "-n", "1", "ticker"}));
  ASSERT_TRUE(tail.WaitForOutput([](const CommandResult& r) { return Count(r.out, "\n") >= 3; }))
      << tail.output().err;
  // Lines written while no zsupd runs reach the next one (the stem keeps
  // them); the follower reconnects and fills the gap from zsupd's memory.
  KillDaemon();
  ::poll(nullptr, 0, 500);
  StartDaemon();
  const size_t before = Count(tail.output().out, "\n");
  EXPECT_TRUE(tail.WaitForOutput(
      [&](const CommandResult& r) { return Count(r.out, "\n") >= before + 20; }));
  CommandResult r = tail.Stop(SIGINT);
  EXPECT_EQ(r.exit_code, 0);
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_GE(lines.size(), 20u);
  const int first = std::stoi(lines[0].substr(5));
  for (size_t i = 0; i < lines.size(); ++i) {
    ASSERT_EQ(lines[i], "tick " + std::to_string(first + static_cast<int>(i))) << r.out;
  }
  EXPECT_EQ(r.err, "");
}

// ---- events ----

TEST_F(ZsupctlTest, EventsPrintsStartsAndExitsOfItsNodeOnly) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("w1")).ok());
  ASSERT_TRUE(Create(TestNode("w10")).ok());
  ASSERT_GT(WaitRunning("w1"), 0);
  const int64_t w10 = WaitRunning("w10");
  ASSERT_GT(w10, 0);

  BackgroundCommand events(Ctl({"events", "w1"}));
  ASSERT_TRUE(RestartUntilSeen(events, "w1", " w1 started pid ")) << events.output().err;
  ASSERT_TRUE(Restart("w10").ok());
  ASSERT_GT(WaitNewPid("w10", w10), 0);
  // The process whose start was printed is the one running (no restart in flight).
  int64_t pid = 0;
  ASSERT_TRUE(WaitUntil([&] {
    pid = WaitRunning("w1");
    return events.WaitForOutput(
        [&](const CommandResult& r) {
          return Count(r.out, " w1 started pid " + std::to_string(pid) + " ") > 0;
        },
        milliseconds(200));
  }));
  ASSERT_TRUE(Destroy("w1").ok());
  const std::string killed = " w1 killed by SIGTERM (pid " + std::to_string(pid) + ", commanded)";
  EXPECT_TRUE(events.WaitForOutput([&](const CommandResult& r) {
    return r.out.find(killed) != std::string::npos;
  })) << events.output().out;

  CommandResult r = events.Stop(SIGINT);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Count(r.out, "w10"), 0u) << r.out;
  for (const std::string& line : Lines(r.out)) {
    // "2026-11-25T22:40:01Z w1 ..."
    ASSERT_GE(line.size(), 24u) << line;
    EXPECT_EQ(line[10], 'T') << line;
    EXPECT_EQ(line.substr(19, 5), "Z w1 ") << line;
  }
}

TEST_F(ZsupctlTest, EventsJsonIsOneObjectPerLine) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("w1")).ok());
  ASSERT_GT(WaitRunning("w1"), 0);
  BackgroundCommand events(Ctl({"events", "-f", "--json"}));
  ASSERT_TRUE(RestartUntilSeen(events, "w1", R"("event":"node_status","node":"w1")"))
      << events.output().err;
  ASSERT_TRUE(Create(TestNode("w3", {"--exit=3"})).ok());
  EXPECT_TRUE(events.WaitForOutput([](const CommandResult& r) {
    return r.out.find(R"("event":"node_exit","node":"w3")") != std::string::npos;
  })) << events.output().out;
  CommandResult r = events.Stop(SIGINT);
  EXPECT_EQ(r.exit_code, 0) << r.err;

  bool saw_w3_exit = false, saw_w1_start = false;
  for (const std::string& line : Lines(r.out)) {
    json e = json::parse(line);
    ASSERT_TRUE(e.is_object()) << line;
    EXPECT_TRUE(e["pid"].is_number_integer()) << line;
    EXPECT_TRUE(e["at"].is_number()) << line;
    if (e["event"] == "node_status" && e["node"] == "w1") {
      saw_w1_start = true;
      EXPECT_TRUE(e["restarts"].is_number_integer());
    }
    if (e["event"] == "node_exit" && e["node"] == "w3") {
      saw_w3_exit = true;
      EXPECT_EQ(e["code"], 3);
      EXPECT_TRUE(e["signal"].is_null());
      EXPECT_EQ(e["commanded"], false);
    }
  }
  EXPECT_TRUE(saw_w1_start);
  EXPECT_TRUE(saw_w3_exit);
}

}  // namespace
}  // namespace zsup::testing
