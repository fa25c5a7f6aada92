#include "stem/spawn.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace zsup {
namespace {

LaunchPlan Plan(std::vector<std::string> argv) {
  LaunchPlan plan;
  plan.program = SearchPath(argv[0], "/usr/bin:/bin");
  plan.argv = std::move(argv);
  plan.env = {"PATH=/usr/bin:/bin"};
  return plan;
}

// Everything the child writes until EOF, which only comes once no process
// (the stem included) holds the pipe's write end. Deadline: 10 s.
std::string ReadToEof(int fd) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) return out;
    if (n > 0) out.append(buf, static_cast<size_t>(n));
  }
  ADD_FAILURE() << "no EOF within 10 s; read so far: " << out;
  return out;
}

int Reap(pid_t pid) {
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, 0), pid);
  return status;
}

// Descriptors the parent holds open (not close-on-exec) while it spawns.
class OpenDescriptors {
 public:
  explicit OpenDescriptors(int count) {
    for (int i = 0; i < count; ++i) {
      int fd = ::open("/dev/null", O_RDONLY);
      if (fd < 0) break;
      fds_.push_back(fd);
    }
  }
  ~OpenDescriptors() {
    for (int fd : fds_) ::close(fd);
  }
  size_t size() const { return fds_.size(); }

 private:
  std::vector<int> fds_;
};

TEST(SpawnTest, ChildHasOnlyItsStandardStreamsAndTheStemKeepsNoWriteEnd) {
  ASSERT_TRUE(ReserveSpawnSlots().ok());
  OpenDescriptors held(100);  // not close-on-exec: still kept from the node
  const LaunchPlan plan = Plan({"sh", "-c", "ls /proc/$$/fd; echo err >&2"});
  auto node = SpawnNode(plan, "t");
  ASSERT_TRUE(node.ok()) << node.status().message();
  // EOF on both pipes proves the stem closed its copies of the write ends.
  EXPECT_EQ(ReadToEof(node->out.get()), "0\n1\n2\n");
  EXPECT_EQ(ReadToEof(node->err.get()), "err\n");
  const int status = Reap(node->pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(SpawnTest, StdinIsDevNull) {
  const LaunchPlan plan = Plan({"sh", "-c", "readlink /proc/self/fd/0; cat"});
  auto node = SpawnNode(plan, "t");
  ASSERT_TRUE(node.ok()) << node.status().message();
  EXPECT_EQ(ReadToEof(node->out.get()), "/dev/null\n");
  Reap(node->pid);
}

TEST(SpawnTest, ExecFailureIsReportedOnTheStatusPipe) {
  LaunchPlan plan = Plan({"/nonexistent/program"});
  auto node = SpawnNode(plan, "t");
  ASSERT_TRUE(node.ok()) << node.status().message();
  std::string records;
  std::optional<ExecReport> report;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!report && std::chrono::steady_clock::now() < deadline) {
    pollfd p{node->status.get(), POLLIN, 0};
    ::poll(&p, 1, 100);
    report = ReadExecStatus(node->status.get(), &records, plan, "t");
  }
  ASSERT_TRUE(report.has_value());
  EXPECT_FALSE(report->exec_ok);
  EXPECT_EQ(report->failure.value_or(""),
            "node 't' failed to exec '/nonexistent/program': No such file or directory");
  const int status = Reap(node->pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 127) << status;
}

// The node does not start with a copy of the stem's descriptor table: its
// table is as small as a fresh process's, however many descriptors the stem
// holds (a copy would be sized for them, and closing them at every exec
// made a start cost O(nodes)).
TEST(SpawnTest, NodeGetsASmallDescriptorTableWhateverTheStemHolds) {
  ASSERT_TRUE(ReserveSpawnSlots().ok());  // as the stem's main does, before the rest
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_max < 5000) GTEST_SKIP() << "hard open-file limit " << limit.rlim_max;
  const rlimit saved = limit;
  limit.rlim_cur = limit.rlim_max;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &limit), 0);
  {
    OpenDescriptors held(4000);
    ASSERT_EQ(held.size(), 4000u);
    // grep is the node itself: /proc/self is the process the stem started.
    const LaunchPlan plan = Plan({"grep", "^FDSize:", "/proc/self/status"});
    auto node = SpawnNode(plan, "t");
    ASSERT_TRUE(node.ok()) << node.status().message();
    const std::string out = ReadToEof(node->out.get());
    Reap(node->pid);
    ASSERT_TRUE(out.starts_with("FDSize:")) << out;
    EXPECT_LE(std::stoi(out.substr(7)), 256) << out;
  }
  ::setrlimit(RLIMIT_NOFILE, &saved);
}

}  // namespace
}  // namespace zsup
