// PROTOCOL.md v2's execution half against the real binaries: user, group,
// capabilities, umask, nice, rlimits; output files written by the stem
// (reopen after a logrotate-style move, size rotation, tee); relative
// directories. Credential tests need root (CI runs as root) and skip
// otherwise.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "tests/daemon_fixture.h"

namespace zsup::testing {
namespace {

namespace fs = std::filesystem;

class ExecutionTest : public DaemonTest {
 protected:
  static NodeConfig Shell(const std::string& name, const std::string& script) {
    NodeConfig c;
    c.name = name;
    c.command = {"/bin/sh", "-c", script};
    return c;
  }
  // The lines the node published on stdout so far.
  std::vector<std::string> StdoutLines(const std::string& node) {
    std::vector<std::string> out;
    auto tail = Tail(node, Stream::kStdout, 1000);
    if (tail.ok()) {
      for (const OutputLine& l : *tail) out.push_back(l.msg);
    }
    return out;
  }
  // The value after "key" in the first line starting with it.
  static std::string Field(const std::vector<std::string>& lines, const std::string& key) {
    for (const std::string& l : lines) {
      if (l.starts_with(key)) return l.substr(key.size());
    }
    return "<none>";
  }
  // Numbered lines "line N" in `text`: whether they are exactly first..last
  // in order, each once; *last gets the last number.
  static bool Contiguous(const std::string& text, int64_t first, int64_t* last) {
    std::istringstream in(text);
    std::string line;
    int64_t expected = first;
    while (std::getline(in, line)) {
      if (line != "line " + std::to_string(expected)) {
        ADD_FAILURE() << "expected 'line " << expected << "', got '" << line << "'";
        return false;
      }
      ++expected;
    }
    *last = expected - 1;
    return true;
  }
  void RequireRoot() {
    if (::geteuid() != 0) GTEST_SKIP() << "credentials need zsupd to run as root";
  }
};

TEST_F(ExecutionTest, ANodeAsNobodySeesItsIdsGroupsCapabilityLimitsUmaskAndNice) {
  RequireRoot();
  StartDaemon();
  NodeConfig c = Shell("nobody",
                       "grep -E '^(Uid|Gid|Groups|CapAmb|CapEff):' /proc/self/status; "
                       "echo nofile=$(ulimit -Sn)/$(ulimit -Hn); echo umask=$(umask); "
                       "echo nice=$(cut -d' ' -f19 /proc/self/stat); echo home=$HOME user=$USER; "
                       "echo cwd=$(pwd); exec sleep 1000");
  c.user = "nobody";
  c.capabilities = {"CAP_NET_RAW"};
  c.rlimits = {{"nofile", Rlimit{4242, 8484}}};
  c.umask = 027;
  c.nice = 7;
  c.directory = "nodes/nobody";  // relative: inside the 0700 state directory
  ASSERT_TRUE(Create(c).ok());
  ASSERT_TRUE(WaitUntil([&] { return Field(StdoutLines("nobody"), "cwd=") != "<none>"; }))
      << Log();
  const std::vector<std::string> lines = StdoutLines("nobody");
  EXPECT_EQ(Field(lines, "Uid:"), "\t65534\t65534\t65534\t65534");
  EXPECT_EQ(Field(lines, "Gid:"), "\t65534\t65534\t65534\t65534");
  EXPECT_EQ(Field(lines, "Groups:"), "\t65534 ") << "only its own groups, none of root's";
  EXPECT_EQ(Field(lines, "CapAmb:"), "\t0000000000002000") << "CAP_NET_RAW (13) only";
  EXPECT_EQ(Field(lines, "CapEff:"), "\t0000000000002000");
  EXPECT_EQ(Field(lines, "nofile="), "4242/8484");
  EXPECT_EQ(Field(lines, "umask="), "0027");
  EXPECT_EQ(Field(lines, "nice="), "7");
  EXPECT_EQ(Field(lines, "home="), "/nonexistent user=nobody");
  EXPECT_EQ(Field(lines, "cwd="), dir() + "/nodes/nobody");
  struct stat st {};
  ASSERT_EQ(::stat((dir() + "/nodes/nobody").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u) << "the directory zsupd created belongs to the node's user";
  EXPECT_EQ(st.st_gid, 65534u);
}

TEST_F(ExecutionTest, EachInvalidValueIsRefusedWithItsFieldNamed) {
  StartDaemon();
  struct Case {
    void (*change)(NodeConfig&);
    const char* field;
  };
  const Case cases[] = {
      {[](NodeConfig& c) { c.user = "no-such-user-zsup"; }, "config.user"},
      {[](NodeConfig& c) {
         c.user = "root";
         c.group = "no-such-group-zsup";
       },
       "config.group"},
      {[](NodeConfig& c) { c.capabilities = {"CAP_TIME_TRAVEL"}; }, "config.capabilities"},
      {[](NodeConfig& c) { c.umask = 01000; }, "config.umask"},
      {[](NodeConfig& c) { c.nice = 40; }, "config.nice"},
      {[](NodeConfig& c) { c.rlimits = {{"openfiles", Rlimit{1, 1}}}; }, "config.rlimits"},
      {[](NodeConfig& c) { c.rlimits = {{"nofile", Rlimit{10, 5}}}; }, "config.rlimits.nofile"},
      {[](NodeConfig& c) { c.stdout_rotate = Rotation{100, 2}; }, "config.stdout_rotate"},
  };
  for (const Case& k : cases) {
    NodeConfig c = TestNode("bad");
    k.change(c);
    Status s = Create(c);
    ASSERT_FALSE(s.ok()) << k.field;
    EXPECT_NE(s.message().find(k.field), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("node 'bad'"), std::string::npos) << s.message();
    ApplyRequest apply;
    apply.nodes = {TestNode("fine"), c};
    auto reply = Call(EncodeRequest(apply));
    ASSERT_TRUE(reply.ok()) << reply.error();
    EXPECT_NE(reply->find(k.field), std::string::npos) << "apply refuses it too";
  }
  auto status = GetStatus();
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(status->nodes.empty()) << "nothing was created";
}

TEST_F(ExecutionTest, AFailingSetupStepIsReportedLikeAnExecFailure) {
  StartDaemon();
  NodeConfig c = TestNode("limit", {"--forever"});
  c.rlimits = {{"nofile", Rlimit{int64_t{1} << 40, int64_t{1} << 40}}};  // above fs.nr_open
  ASSERT_TRUE(Create(c).ok());
  EXPECT_TRUE(WaitUntil([&] {
    auto s = NodeStatusOf("limit");
    return s && s->last_error &&
           s->last_error->find("failed to set rlimits.nofile") != std::string::npos;
  })) << Log();
}

TEST_F(ExecutionTest, LogrotateMoveThenReopenLosesAndRepeatsNoLine) {
  StartDaemon();
  NodeConfig c = Shell("rot", "i=0; while [ $i -lt 400 ]; do i=$((i+1)); echo \"line $i\"; "
                              "sleep 0.005; done; exec sleep 1000");
  c.directory = dir() + "/rot";
  c.stdout_file = "out.log";
  ASSERT_TRUE(Create(c).ok());
  const std::string out = dir() + "/rot/out.log";
  ASSERT_TRUE(WaitUntil([&] { return ReadFile(out).find("line 50\n") != std::string::npos; }));
  fs::rename(out, out + ".1");  // what logrotate does, then its postrotate
  ReopenRequest reopen;
  reopen.node = "rot";
  ASSERT_TRUE(Send(reopen).ok());
  ASSERT_TRUE(WaitUntil([&] { return ReadFile(out + ".1").find("line 400\n") != std::string::npos ||
                                     ReadFile(out).find("line 400\n") != std::string::npos; },
                        seconds(30)));
  const std::string moved = ReadFile(out + ".1"), fresh = ReadFile(out);
  ASSERT_FALSE(fresh.empty()) << "nothing went to the reopened file";
  int64_t last_moved = 0, last = 0;
  ASSERT_TRUE(Contiguous(moved, 1, &last_moved));
  ASSERT_TRUE(Contiguous(fresh, last_moved + 1, &last));
  EXPECT_EQ(last, 400);
  EXPECT_GE(last_moved, 50);
}

TEST_F(ExecutionTest, SizeRotationKeepsExactlyBackupsFilesOfContiguousLines) {
  StartDaemon();
  NodeConfig c = Shell("size", "i=0; while [ $i -lt 3000 ]; do i=$((i+1)); echo \"line $i\"; "
                               "done; exec sleep 1000");
  c.directory = dir() + "/size";
  c.stdout_file = "out.log";
  c.stdout_rotate = Rotation{4000, 3};
  ASSERT_TRUE(Create(c).ok());
  const std::string out = dir() + "/size/out.log";
  ASSERT_TRUE(WaitUntil([&] { return ReadFile(out).find("line 3000\n") != std::string::npos; }))
      << ReadFile(out);
  std::string kept;
  for (const char* suffix : {".3", ".2", ".1", ""}) {
    ASSERT_TRUE(fs::exists(out + suffix)) << suffix;
    kept += ReadFile(out + suffix);
  }
  EXPECT_FALSE(fs::exists(out + ".4")) << "the oldest is deleted";
  // The files hold the newest bytes in order; the oldest may start mid-line.
  const size_t first_line = kept.find('\n') + 1;
  const std::string whole = kept.substr(first_line);
  const int64_t first = std::stoll(whole.substr(5, whole.find('\n') - 5));
  int64_t last = 0;
  ASSERT_TRUE(Contiguous(whole, first, &last));
  EXPECT_EQ(last, 3000);
  EXPECT_GT(kept.size(), 3u * 4000 / 2) << "several files' worth was kept";
  for (const char* suffix : {".3", ".2", ".1", ""}) {
    EXPECT_LE(fs::file_size(out + suffix), 4000u) << suffix;  // however much the pipe held
  }
}

TEST_F(ExecutionTest, StdoutAndStderrToOneRotatedFileLoseNothing) {
  StartDaemon();
  NodeConfig c = Shell("both", "i=0; while [ $i -lt 600 ]; do i=$((i+1)); echo \"line $i\"; "
                               "i=$((i+1)); echo \"line $i\" >&2; done; exec sleep 1000");
  c.directory = dir() + "/both";
  c.stdout_file = "all.log";
  c.stderr_file = "all.log";
  c.stdout_rotate = Rotation{1000, 20};
  ASSERT_TRUE(Create(c).ok());
  auto all = [&] {
    std::string text;
    for (int n = 20; n >= 1; --n) text += ReadFile(dir() + "/both/all.log." + std::to_string(n));
    return text + ReadFile(dir() + "/both/all.log");
  };
  ASSERT_TRUE(WaitUntil([&] {
    const std::string t = all();
    return t.find("line 599\n") != std::string::npos && t.find("line 600\n") != std::string::npos;
  })) << all();
  std::istringstream in(all());
  std::vector<int> seen(601, 0);
  for (std::string line; std::getline(in, line);) {
    ASSERT_TRUE(line.starts_with("line ")) << line;
    ++seen[std::stoi(line.substr(5))];
  }
  for (int i = 1; i <= 600; ++i) EXPECT_EQ(seen[i], 1) << "line " << i;
  for (int n = 1; n <= 20; ++n) {
    const std::string part = dir() + "/both/all.log." + std::to_string(n);
    if (fs::exists(part)) {
      EXPECT_LE(fs::file_size(part), 1000u) << part;
    }
  }
}

TEST_F(ExecutionTest, TeePublishesWithSeqFeedsTailAndWritesTheFile) {
  StartDaemon();
  auto sub = Subscribe({"stdout/tee"});
  NodeConfig c = TestNode("tee", {"--lines=5", "--forever"});
  c.directory = dir() + "/tee";
  c.stdout_file = "out.log";
  c.tee = true;
  ASSERT_TRUE(Create(c).ok());
  for (int64_t seq = 1; seq <= 5; ++seq) {
    auto e = sub->Next();
    ASSERT_TRUE(e) << "line " << seq << " was not published";
    const auto& line = std::get<OutputEvent>(e->payload);
    EXPECT_EQ(line.seq, seq);
    EXPECT_EQ(line.msg, "line " + std::to_string(seq));
  }
  EXPECT_EQ(StdoutLines("tee").size(), 5u);
  EXPECT_TRUE(WaitUntil([&] {
    return ReadFile(dir() + "/tee/out.log") == "line 1\nline 2\nline 3\nline 4\nline 5\n";
  })) << ReadFile(dir() + "/tee/out.log");
}

TEST_F(ExecutionTest, AFileThatCannotBeWrittenIsReportedAndOutputWaits) {
  StartDaemon();
  NodeConfig c = TestNode("full", {"--lines=3", "--forever"});
  c.stdout_file = "/dev/full";
  ASSERT_TRUE(Create(c).ok());
  EXPECT_TRUE(WaitUntil([&] {
    auto s = NodeStatusOf("full");
    return s && s->last_error && s->last_error->find("stdout_file") != std::string::npos &&
           s->last_error->find("No space left on device") != std::string::npos;
  })) << Log();
  EXPECT_EQ(StateOf("full"), NodeState::kRunning) << "the node itself is left alone";
}

TEST_F(ExecutionTest, RelativeFilesWithoutADirectoryLandInTheStateDirectory) {
  StartDaemon();
  NodeConfig c = TestNode("rel", {"--lines=1", "--forever"});
  c.stdout_file = "rel.out";
  ASSERT_TRUE(Create(c).ok());
  EXPECT_TRUE(WaitUntil([&] { return ReadFile(dir() + "/rel.out") == "line 1\n"; }));
}

}  // namespace
}  // namespace zsup::testing
