// zsupctl's following subcommands against a real zsupd: tail (-n, -f,
// only its node, across a zsupd restart, --json, --timestamps, --all, the
// notes about dropped lines and unpublished files) and events.
#include <signal.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <regex>

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

// A node that prints "tick N" every 50 ms, counting from 1.
NodeConfig Ticker(const std::string& name) {
  NodeConfig ticker;
  ticker.name = name;
  ticker.command = {"/bin/sh", "-c", "i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.05; done"};
  return ticker;
}

TEST_F(ZsupctlTest, TailFollowCarriesOnAcrossAZsupdRestart) {
  StartDaemon();
  ASSERT_TRUE(Create(Ticker("ticker")).ok());
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
  // A short outage may pass unnoticed; a noticed one is told once each way.
  const std::string told = "zsupctl: zsupd at " + control_endpoint() +
                           " is not answering; still trying\nzsupctl: connected again\n";
  EXPECT_TRUE(r.err.empty() || r.err == told) << r.err;
}

// tail -f and events say once that zsupd went away, keep trying, and say
// once that it is back; what they follow goes on.
TEST_F(ZsupctlTest, FollowersSayOnceWhenZsupdStopsAnsweringAndWhenItIsBack) {
  StartDaemon();
  ASSERT_TRUE(Create(Ticker("ticker")).ok());
  ASSERT_TRUE(Create(TestNode("w1")).ok());
  ASSERT_GT(WaitRunning("w1"), 0);
  BackgroundCommand tail(Ctl({"--timeout", "0.3", "tail", "-f", "-n", "1", "ticker"}));
  BackgroundCommand events(Ctl({"--timeout", "0.3", "events", "w1"}));
  ASSERT_TRUE(tail.WaitForOutput([](const CommandResult& r) { return Count(r.out, "\n") >= 3; }))
      << tail.output().err;
  ASSERT_TRUE(RestartUntilSeen(events, "w1", " w1 started pid ")) << events.output().err;

  KillDaemon();
  const std::string down =
      "zsupctl: zsupd at " + control_endpoint() + " is not answering; still trying\n";
  for (BackgroundCommand* c : {&tail, &events}) {
    EXPECT_TRUE(c->WaitForOutput([&](const CommandResult& r) { return Count(r.err, down) == 1; }))
        << c->output().err;
  }
  // Many retries later (one every 0.3 s), still said only once.
  EXPECT_FALSE(events.WaitForOutput(
      [&](const CommandResult& r) { return Count(r.err, "zsupctl:") > 1; }, seconds(2)))
      << events.output().err;

  StartDaemon();
  for (BackgroundCommand* c : {&tail, &events}) {
    EXPECT_TRUE(c->WaitForOutput([](const CommandResult& r) {
      return Count(r.err, "zsupctl: connected again\n") == 1;
    })) << c->output().err;
  }
  const size_t ticks = Count(tail.output().out, "\n");
  EXPECT_TRUE(tail.WaitForOutput([&](const CommandResult& r) {
    return Count(r.out, "\n") >= ticks + 10;
  })) << "tail -f goes on";
  // events goes on: a restart after the outage is printed.
  const size_t starts = Count(events.output().out, " w1 started pid ");
  bool seen = false;
  for (int attempt = 0; attempt < 20 && !seen; ++attempt) {
    ASSERT_TRUE(Restart("w1").ok());
    seen = events.WaitForOutput(
        [&](const CommandResult& r) { return Count(r.out, " w1 started pid ") > starts; },
        milliseconds(1500));
  }
  EXPECT_TRUE(seen) << events.output().out << events.output().err;
  for (BackgroundCommand* c : {&tail, &events}) {
    CommandResult r = c->Stop(SIGINT);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, down + "zsupctl: connected again\n");
  }
}

// A node zsupd does not know (yet) is waited for, with a warning.
TEST_F(ZsupctlTest, FollowersWarnOnceAboutAnUnknownNodeAndWaitForIt) {
  StartDaemon();
  const std::string warning = "zsupctl: no node 'w9' on zsupd (yet); waiting for it\n";
  BackgroundCommand events(Ctl({"events", "w9"}));
  BackgroundCommand tail(Ctl({"tail", "-f", "w9"}));
  for (BackgroundCommand* c : {&events, &tail}) {
    ASSERT_TRUE(c->WaitForOutput([&](const CommandResult& r) { return r.err == warning; }))
        << c->output().err;
  }
  ASSERT_TRUE(Create(Ticker("w9")).ok());
  EXPECT_TRUE(events.WaitForOutput([](const CommandResult& r) {
    return Count(r.out, " w9 started pid ") > 0;
  })) << events.output().err;
  // Subscribed when the warning was printed, or very soon after: later ticks arrive.
  EXPECT_TRUE(tail.WaitForOutput([](const CommandResult& r) { return Count(r.out, "tick ") >= 3; }))
      << tail.output().err;
  for (BackgroundCommand* c : {&events, &tail}) {
    CommandResult r = c->Stop(SIGINT);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, warning);
  }
  // Without -f there is nothing to wait for: unknown is an error, as before.
  CommandResult once = Run({"tail", "w8"});
  EXPECT_EQ(once.exit_code, 1);
  EXPECT_NE(once.err.find("no node named 'w8'"), std::string::npos) << once.err;
}

class ZsupctlTailTest : public ZsupctlTest {
 protected:
  // Lines of `name`'s stream in zsupd's memory (0 while the node is unknown).
  size_t KeptLines(const std::string& name, Stream s = Stream::kStdout) {
    auto lines = Tail(name, s, 2000);
    return lines.ok() ? lines->size() : 0u;
  }
};

// What tail --timestamps prints for a line written at `at`: UTC, milliseconds truncated.
std::string ExpectedTimestamp(double at) {
  const auto whole = static_cast<std::time_t>(std::floor(at));
  std::tm tm{};
  ::gmtime_r(&whole, &tm);
  char buf[40];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>((at - std::floor(at)) * 1000));
  return std::string(buf, n) + millis;
}

TEST_F(ZsupctlTailTest, TailJsonPrintsOneObjectPerLineWithItsSeq) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("json-1", {"--lines=5", "--stream=both"})).ok());
  NodeConfig bad;
  bad.name = "json-bad";
  bad.command = {"/bin/sh", "-c", "printf 'bad \\377 byte\\n'; exec sleep 1000"};
  ASSERT_TRUE(Create(bad).ok());
  ASSERT_TRUE(WaitUntil([&] {
    return KeptLines("json-1") == 5 && KeptLines("json-1", Stream::kStderr) == 5 &&
           KeptLines("json-bad") == 1;
  }));

  CommandResult r = Run({"tail", "--json", "-n", "10", "json-1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 5u) << r.out;
  double last_at = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    json j = json::parse(lines[i], nullptr, /*allow_exceptions=*/false);
    ASSERT_TRUE(j.is_object()) << lines[i];
    EXPECT_EQ(j.size(), 5u) << lines[i];
    EXPECT_EQ(j["node"], "json-1");
    EXPECT_EQ(j["stream"], "stdout");
    EXPECT_EQ(j["seq"], static_cast<int64_t>(i + 1)) << lines[i];
    EXPECT_EQ(j["msg"], "line " + std::to_string(i + 1));
    ASSERT_TRUE(j["at"].is_number_float()) << lines[i];
    EXPECT_GE(j["at"].get<double>(), last_at);
    last_at = j["at"].get<double>();
  }
  EXPECT_GT(last_at, 1e9);

  // --both with --json: everything on stdout, the stream in the object.
  r = Run({"tail", "--json", "--both", "-n", "2", "json-1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 4u) << r.out;
  size_t out = 0, err = 0;
  for (const std::string& line : lines) {
    json j = json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << line;
    EXPECT_GE(j["seq"].get<int64_t>(), 4);
    (j["stream"] == "stdout" ? out : err) += 1;
  }
  EXPECT_EQ(out, 2u);
  EXPECT_EQ(err, 2u);

  // A node may print bytes that are not UTF-8: the line still parses.
  r = Run({"tail", "--json", "json-bad"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_TRUE(j["msg"].get<std::string>().starts_with("bad ")) << r.out;

  r = Run({"tail", "--json", "--timestamps", "json-1"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(ZsupctlTailTest, TailTimestampsPrefixEachLineWithItsTimeInMilliseconds) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("stamp-1", {"--lines=3"})).ok());
  ASSERT_TRUE(WaitUntil([&] { return KeptLines("stamp-1") == 3; }));
  auto kept = Tail("stamp-1", Stream::kStdout, 3);
  ASSERT_TRUE(kept.ok());

  CommandResult r = Run({"tail", "--timestamps", "stamp-1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  const std::regex format(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z line \d)");
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_TRUE(std::regex_match(lines[i], format)) << lines[i];
    EXPECT_EQ(lines[i], ExpectedTimestamp((*kept)[i].at) + " line " + std::to_string(i + 1));
  }
}

TEST_F(ZsupctlTailTest, TailAllPrintsTheLinesOfEveryNodePrefixedByItsName) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("every-1", {"--lines=3"})).ok());
  ASSERT_TRUE(Create(TestNode("every-2", {"--lines=2", "--stream=both"})).ok());
  ASSERT_TRUE(WaitUntil([&] {
    return KeptLines("every-1") == 3 && KeptLines("every-2") == 2 &&
           KeptLines("every-2", Stream::kStderr) == 2;
  }));

  CommandResult r = Run({"tail", "--all"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 5u) << r.out;
  // Merged by time, each node's lines in their order.
  std::vector<std::string> one, two;
  for (const std::string& line : lines) {
    if (line.starts_with("every-1: ")) one.push_back(line);
    if (line.starts_with("every-2: ")) two.push_back(line);
  }
  EXPECT_EQ(one,
            (std::vector<std::string>{"every-1: line 1", "every-1: line 2", "every-1: line 3"}));
  EXPECT_EQ(two, (std::vector<std::string>{"every-2: line 1", "every-2: line 2"}));

  // -n per node and stream; --timestamps comes before the name.
  r = Run({"tail", "--all", "--both", "-n", "1", "--timestamps"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::regex stamped(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z every-(1: line 3|2: line 2))");
  lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  for (const std::string& line : lines) EXPECT_TRUE(std::regex_match(line, stamped)) << line;
  ASSERT_EQ(Lines(r.err).size(), 1u) << r.err;
  EXPECT_TRUE(std::regex_match(Lines(r.err)[0], stamped)) << r.err;

  r = Run({"tail", "--all", "--json", "-n", "1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  for (const std::string& line : lines) {
    json j = json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << line;
    EXPECT_TRUE(j["node"] == "every-1" || j["node"] == "every-2") << line;
    EXPECT_EQ(j["msg"].get<std::string>().find(':'), std::string::npos) << line;  // no prefix
  }

  // NODE or --all, exactly one.
  r = Run({"tail", "--all", "every-1"});
  EXPECT_EQ(r.exit_code, 2);
  r = Run({"tail"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("a NODE (or --all) is required"), std::string::npos) << r.err;
}

TEST_F(ZsupctlTailTest, TailFollowAllPrintsTheLinesOfNodesCreatedLater) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("before-1", {"--lines=1"})).ok());
  ASSERT_TRUE(WaitUntil([&] { return KeptLines("before-1") == 1; }));
  BackgroundCommand tail(Ctl({"tail", "-f", "--all"}));
  // History printed means the subscription is in place (it comes first).
  ASSERT_TRUE(tail.WaitForOutput([](const CommandResult& r) {
    return r.out == "before-1: line 1\n";
  })) << tail.output().out
      << tail.output().err;

  ASSERT_TRUE(Create(TestNode("after-1", {"--lines=2"})).ok());
  EXPECT_TRUE(tail.WaitForOutput([](const CommandResult& r) {
    return Count(r.out, "after-1: line 2\n") == 1;
  })) << tail.output().out;
  CommandResult r = tail.Stop(SIGINT);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "before-1: line 1\nafter-1: line 1\nafter-1: line 2\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(ZsupctlTailTest, TailNotesWhenZsupdKeepsFewerLinesThanAsked) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("many-1", {"--lines=1500"})).ok());
  ASSERT_TRUE(Create(TestNode("few-1", {"--lines=3"})).ok());
  ASSERT_TRUE(WaitUntil([&] {
    auto t = Tail("many-1", Stream::kStdout, 2000);
    return t.ok() && !t->empty() && t->back().seq == 1500 && KeptLines("few-1") == 3;
  }));
  const size_t kept = KeptLines("many-1");
  ASSERT_LT(kept, 1500u);

  CommandResult r = Run({"tail", "-n", "2000", "many-1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Lines(r.out).size(), kept);
  EXPECT_EQ(r.err, "zsupctl: only " + std::to_string(kept) +
                       " lines of many-1's stdout are kept (asked for 2000)\n");
  // All the lines there ever were: nothing to say.
  r = Run({"tail", "-n", "5", "few-1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "line 1\nline 2\nline 3\n");
  EXPECT_EQ(r.err, "");
  // Once per node and stream, with --all too.
  r = Run({"tail", "--all", "-n", "2000"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "zsupctl: only " + std::to_string(kept) +
                       " lines of many-1's stdout are kept (asked for 2000)\n");
}

TEST_F(ZsupctlTailTest, TailSaysWhereAnUnpublishedFileIsAndExits) {
  StartDaemon();
  NodeConfig plain = TestNode("filed-1", {"--lines=3", "--stream=both"});
  plain.stdout_file = "filed-1.out";  // relative, no directory: in the state directory
  ASSERT_TRUE(Create(plain).ok());
  NodeConfig in_dir = TestNode("filed-2", {"--lines=3"});
  in_dir.directory = "filed-2-dir";  // itself relative to the state directory
  in_dir.stdout_file = "out.log";
  ASSERT_TRUE(Create(in_dir).ok());
  ASSERT_TRUE(WaitUntil([&] {
    return Count(ReadFile(dir() + "/filed-1.out"), "\n") == 3 &&
           Count(ReadFile(dir() + "/filed-2-dir/out.log"), "\n") == 3 &&
           KeptLines("filed-1", Stream::kStderr) == 3;
  }));
  const std::string note1 = "zsupctl: filed-1's stdout goes to " + dir() +
                            "/filed-1.out and is not published (create it with --tee to "
                            "follow it here)\n";

  CommandResult r = Run({"tail", "filed-1"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, note1);
  // With -f too: nothing would ever arrive, so it does not wait.
  r = Run({"tail", "-f", "filed-2"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "zsupctl: filed-2's stdout goes to " + dir() +
                       "/filed-2-dir/out.log and is not published (create it with --tee to "
                       "follow it here)\n");
  // The other stream is still there.
  r = Run({"tail", "--both", "filed-1"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, note1 + "line 1\nline 2\nline 3\n");
  // Only an endpoint: where the state directory is, is not known.
  r = RunCommand({ZsupctlPath(), "--endpoint", control_endpoint(), "--events", events_endpoint(),
                  "tail", "filed-1"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err,
            "zsupctl: filed-1's stdout goes to filed-1.out (relative to zsupd's state directory) "
            "and is not published (create it with --tee to follow it here)\n");
  // --all leaves such streams out quietly.
  r = Run({"tail", "--all"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
}

TEST_F(ZsupctlTailTest, TailPrintsTheLinesOfAFileBoundStreamWithTee) {
  StartDaemon();
  NodeConfig node = TestNode("teed-1", {"--lines=3"});
  node.stdout_file = dir() + "/teed-1.out";
  node.tee = true;
  ASSERT_TRUE(Create(node).ok());
  ASSERT_TRUE(WaitUntil([&] {
    return KeptLines("teed-1") == 3 && Count(ReadFile(dir() + "/teed-1.out"), "\n") == 3;
  }));
  CommandResult r = Run({"tail", "teed-1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "line 1\nline 2\nline 3\n");
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
