// ProcessTree against real processes: a child that starts a grandchild in a
// session of its own.
#include "stem/process_tree.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace zsup {
namespace {

bool Contains(const std::vector<pid_t>& v, pid_t p) {
  return std::find(v.begin(), v.end(), p) != v.end();
}

// A child in its own process group that starts a grandchild in its own
// session; both sleep. Returns {child, grandchild}.
std::pair<pid_t, pid_t> Family() {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  if (child == 0) {
    ::setpgid(0, 0);
    if (::fork() == 0) {
      ::setsid();
      const pid_t me = ::getpid();  // told only once in its own session
      (void)!::write(fds[1], &me, sizeof me);
      ::pause();
      ::_exit(0);
    }
    ::pause();
    ::_exit(0);
  }
  ::close(fds[1]);
  pid_t grandchild = 0;
  EXPECT_EQ(::read(fds[0], &grandchild, sizeof grandchild),
            static_cast<ssize_t>(sizeof grandchild));
  ::close(fds[0]);
  return {child, grandchild};
}

TEST(ProcessTreeTest, DescendantsIncludeThoseThatLeftTheSession) {
  auto [child, grandchild] = Family();
  EXPECT_TRUE(Contains(ChildrenOf(::getpid()), child));
  EXPECT_EQ(ChildrenOf(child), std::vector<pid_t>{grandchild});
  const std::vector<pid_t> all = DescendantsOf(::getpid());
  EXPECT_TRUE(Contains(all, child));
  EXPECT_TRUE(Contains(all, grandchild));
  ::kill(grandchild, SIGKILL);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
}

TEST(ProcessTreeTest, SignalsOnlyDescendantsOutsideTheGroup) {
  auto [child, grandchild] = Family();
  // `child` leads its group: only the grandchild (own session) is signalled.
  EXPECT_EQ(SignalDescendantsOutsideGroup(child, SIGKILL), 1);
  for (int i = 0; i < 500 && ::kill(grandchild, 0) == 0; ++i) {
    // The grandchild is `child`'s to reap; `child` pauses, so it stays a
    // zombie: look at its state instead.
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/stat", grandchild);
    FILE* f = std::fopen(path, "r");
    if (f == nullptr) break;
    char state = 0;
    const int got = std::fscanf(f, "%*d (%*[^)]) %c", &state);
    std::fclose(f);
    if (got == 1 && state == 'Z') break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(::kill(child, 0), 0) << "the group leader itself was signalled";
  ::kill(grandchild, SIGKILL);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
}

}  // namespace
}  // namespace zsup
