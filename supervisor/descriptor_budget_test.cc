// DescriptorBudget: what fits under an open-file limit, and the error when
// it does not.
#include "supervisor/descriptor_budget.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace zsup {
namespace {

TEST(DescriptorBudgetTest, AStemNeedsTwoPipesPerNodeAndOneMorePerFile) {
  NodeConfig c;
  EXPECT_EQ(StemDescriptors(c), 2u);
  c.stdout_file = "/var/log/out";
  EXPECT_EQ(StemDescriptors(c), 3u);
  c.stderr_file = "/var/log/err";
  EXPECT_EQ(StemDescriptors(c), 4u);
}

TEST(DescriptorBudgetTest, NodesFitUpToTheStemsRoomAndZsupdsRoom) {
  const DescriptorBudget budget{1024, 768};  // zsupd_high: 1024 less its reserve of 256
  EXPECT_TRUE(budget.Check(480, 960).ok());  // the stem: 1024 - 64 = 960 for nodes
  Status stem = budget.Check(481, 962);
  ASSERT_FALSE(stem.ok());
  EXPECT_EQ(stem.code(), Status::Code::kRefused);
  EXPECT_EQ(stem.message(),
            "not enough file descriptors: the open-file limit is 1024, and 481 nodes would hold "
            "962 descriptors in zsup-stem (2 pipes each, 1 more per output file), and the stem "
            "keeps 64 for itself; raise the limit (LimitNOFILE= in the unit, or ulimit -n) and "
            "restart zsupd");
  // zsupd's pidfds: 768 - 64 = 704 nodes, however few descriptors they need in the stem.
  const DescriptorBudget zsupd{4096, 768};
  EXPECT_TRUE(zsupd.Check(704, 1408).ok());
  Status z = zsupd.Check(705, 1410);
  ASSERT_FALSE(z.ok());
  EXPECT_NE(z.message().find("705 nodes would hold a pidfd each in zsupd, which keeps 3392 for "
                             "itself and its connections"),
            std::string::npos)
      << z.message();
}

TEST(DescriptorBudgetTest, ALimitBelowTheBasesFitsNothing) {
  const DescriptorBudget tiny{50, 34};
  EXPECT_TRUE(tiny.Check(0, 0).ok());
  EXPECT_FALSE(tiny.Check(1, 2).ok());
}

// Runs RaiseFileLimit() in a child whose limit was first set to `start`
// (a child, because a lowered hard limit cannot be raised back without
// privilege); returns the limit the child ended with, and what it returned.
struct RaiseResult {
  rlimit after{};
  size_t returned = 0;
};
RaiseResult RaiseFrom(rlimit start) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    RaiseResult r;
    if (::setrlimit(RLIMIT_NOFILE, &start) != 0) ::_exit(2);
    r.returned = RaiseFileLimit();
    ::getrlimit(RLIMIT_NOFILE, &r.after);
    ::_exit(::write(fds[1], &r, sizeof r) == sizeof r ? 0 : 1);
  }
  ::close(fds[1]);
  RaiseResult r;
  EXPECT_EQ(::read(fds[0], &r, sizeof r), static_cast<ssize_t>(sizeof r));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  return r;
}

// Whether this process may raise its hard open-file limit (probed in a
// child, which lowers its limit and tries to raise it again).
bool MayRaiseHardLimit() {
  const pid_t pid = ::fork();
  if (pid == 0) {
    rlimit low{100, 100};
    if (::setrlimit(RLIMIT_NOFILE, &low) != 0) ::_exit(1);
    rlimit high{200, 200};
    ::_exit(::setrlimit(RLIMIT_NOFILE, &high) == 0 ? 0 : 1);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

TEST(RaiseFileLimitTest, TheSoftLimitGoesUpToTheHardOne) {
  const RaiseResult r = RaiseFrom({500, 1000});
  const rlim_t want = MayRaiseHardLimit() ? kWantedFileLimit : 1000;
  EXPECT_EQ(r.after.rlim_cur, want);
  EXPECT_EQ(r.after.rlim_max, want);
  EXPECT_EQ(r.returned, want);
}

TEST(RaiseFileLimitTest, WherePrivilegedTheHardLimitGoesUpTo65536) {
  if (!MayRaiseHardLimit()) GTEST_SKIP() << "no CAP_SYS_RESOURCE here: the hard limit cannot rise";
  const RaiseResult r = RaiseFrom({1024, 4096});
  EXPECT_EQ(r.after.rlim_cur, kWantedFileLimit);
  EXPECT_EQ(r.after.rlim_max, kWantedFileLimit);
}

TEST(RaiseFileLimitTest, NeverLowersALimit) {
  rlimit mine{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &mine), 0);
  if (mine.rlim_max != RLIM_INFINITY && mine.rlim_max <= kWantedFileLimit) {
    GTEST_SKIP() << "this process's hard limit is not above " << kWantedFileLimit;
  }
  const RaiseResult r = RaiseFrom({1024, mine.rlim_max});
  EXPECT_EQ(r.after.rlim_max, mine.rlim_max);
  EXPECT_EQ(r.after.rlim_cur, mine.rlim_max);
}

}  // namespace
}  // namespace zsup
