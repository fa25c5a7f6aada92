// zsupctl's following subcommands against a real zsupd: tail (-n, -f,
// only its node, across a zsupd restart) and events.
#include <signal.h>

#include <algorithm>

#include "tests/zsupctl_fixture.h"

namespace zsup::testing {
namespace {

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
  // The stem has noticed: from here on the ticker writes with no zsupd.
  ASSERT_TRUE(WaitUntil([&] { return Log().find("for a zsupd to reconnect") != std::string::npos; }))
      << Log();
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
