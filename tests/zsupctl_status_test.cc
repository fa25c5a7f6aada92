// zsupctl against a real zsupd: what `status` and `show` print about a
// node's exits, in tables and as JSON (the other one-shot subcommands:
// zsupctl_test.cc).
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>

#include "tests/zsupctl_fixture.h"

namespace zsup::testing {
namespace {

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

TEST_F(ZsupctlTest, StatusMarksAnExitCausedByRestartAsCommanded) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("w1")).ok());
  const int64_t pid = WaitRunning("w1");
  ASSERT_GT(pid, 0);
  CommandResult restart = Run({"restart", "w1", "--wait"});
  ASSERT_EQ(restart.exit_code, 0) << restart.err;
  const int64_t new_pid = WaitNewPid("w1", pid);
  ASSERT_GT(new_pid, 0);
  ASSERT_TRUE(WaitUntil([&] {
    auto s = NodeStatusOf("w1");
    return s && s->last_exit && s->last_exit->signal == SIGTERM;
  }));
  CommandResult r = Run({"status"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(Row(r.out, "w1").find("SIGTERM (commanded) "), std::string::npos) << r.out;
  CommandResult j = Run({"status", "w1", "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_EQ(json::parse(j.out)[0]["last_exit"]["commanded"], true) << j.out;

  // A crash is not commanded.
  ::kill(static_cast<pid_t>(new_pid), SIGKILL);
  ASSERT_TRUE(WaitUntil([&] {
    auto s = NodeStatusOf("w1");
    return s && s->last_exit && s->last_exit->signal == SIGKILL;
  }));
  r = Run({"status"});
  EXPECT_NE(Row(r.out, "w1").find("SIGKILL "), std::string::npos) << r.out;
  EXPECT_EQ(Row(r.out, "w1").find("commanded"), std::string::npos) << r.out;
}

TEST_F(ZsupctlTest, ShowListsRecentExitsTheCommandTheEnvAndStderr) {
  StartDaemon();
  NodeConfig c = TestNode("crashy", {"--lines=1", "--stream=stderr", "--exit=3"});
  c.env["SHOW_ME"] = "yes please";
  ASSERT_TRUE(Create(c).ok());
  ASSERT_TRUE(Create(TestNode("other")).ok());
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto s = NodeStatusOf("crashy");
        return s && s->restarts.value_or(0) >= 3 && s->last_exit;
      },
      seconds(30)));
  CommandResult r = Run({"show", "crashy"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("crashy\n")) << r.out;
  EXPECT_EQ(Count(r.out, "other"), 0u) << r.out;
  EXPECT_NE(r.out.find("  last exits:    "), std::string::npos) << r.out;
  EXPECT_GE(Count(r.out, "Z  code 3, "), 3u) << r.out;
  const std::string command = TestNodePath() + " --lines=1 --stream=stderr --exit=3";
  EXPECT_NE(r.out.find("  command:       " + command + "\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  env:           SHOW_ME=yes please\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  recent stderr:\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Z line 1\n"), std::string::npos) << r.out;

  CommandResult j = Run({"show", "crashy", "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const json shown = json::parse(j.out);
  ASSERT_EQ(shown.size(), 1u);
  EXPECT_GE(shown[0]["exits"].size(), 3u) << j.out;
  EXPECT_EQ(shown[0]["exits"][0]["code"], 3);
  EXPECT_EQ(shown[0]["exits"][0]["commanded"], false);
  ASSERT_FALSE(shown[0]["stderr"].empty()) << j.out;
  EXPECT_EQ(shown[0]["stderr"].back()["msg"], "line 1");
  EXPECT_EQ(shown[0]["config"]["env"]["SHOW_ME"], "yes please");

  CommandResult both = Run({"show", "other", "crashy"});
  ASSERT_EQ(both.exit_code, 0) << both.err;
  EXPECT_TRUE(both.out.starts_with("crashy\n")) << both.out;  // in natural order
  EXPECT_NE(both.out.find("\n\nother\n"), std::string::npos) << both.out;

  CommandResult unknown = Run({"show", "nope"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_EQ(unknown.out, "");
  EXPECT_NE(unknown.err.find("no node named 'nope'"), std::string::npos) << unknown.err;
  CommandResult none = Run({"show"});
  EXPECT_EQ(none.exit_code, 2) << "NODE is required";
}

TEST_F(ZsupctlTest, ShowKeepsTheExitHistoryAcrossAZsupdRestart) {
  StartDaemon();
  NodeConfig c = TestNode("w", {"--exit=3"});
  c.start_limit_burst = 2;  // the third start within 10 minutes fails the node
  c.start_limit_interval = 600;
  ASSERT_TRUE(Create(c).ok());
  ASSERT_TRUE(WaitState("w", NodeState::kFailed, seconds(20)));
  CommandResult before = Run({"show", "w", "--json"});
  ASSERT_EQ(before.exit_code, 0) << before.err;
  const json exits = json::parse(before.out)[0]["exits"];
  ASSERT_GE(exits.size(), 2u) << before.out;

  KillDaemon();
  StartDaemon();
  CommandResult after = Run({"show", "w", "--json"});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_EQ(json::parse(after.out)[0]["exits"], exits) << before.out << after.out;
}

}  // namespace
}  // namespace zsup::testing
