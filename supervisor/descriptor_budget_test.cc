// DescriptorBudget: what fits under an open-file limit, and the error when
// it does not.
#include "supervisor/descriptor_budget.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace zsup
