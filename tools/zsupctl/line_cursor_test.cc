#include "tools/zsupctl/line_cursor.h"

#include <gtest/gtest.h>

namespace zsup::ctl {
namespace {

TEST(LineCursorTest, DropsLiveLinesTheHistoryAlreadyShowed) {
  LineCursor c;
  c.SetHistoryEnd(7);
  EXPECT_FALSE(c.Accept(6).print);
  EXPECT_FALSE(c.Accept(7).print);
  auto d = c.Accept(8);
  EXPECT_TRUE(d.print);
  EXPECT_EQ(d.missed, 0);
}

TEST(LineCursorTest, ReportsGapsAfterTheHistory) {
  LineCursor c;
  c.SetHistoryEnd(7);
  auto d = c.Accept(10);
  EXPECT_TRUE(d.print);
  EXPECT_EQ(d.missed, 2);
}

TEST(LineCursorTest, WithoutHistoryEverythingPrints) {
  LineCursor c;
  c.SetHistoryEnd(std::nullopt);
  EXPECT_TRUE(c.Accept(1).print);
  EXPECT_TRUE(c.Accept(2).print);
  EXPECT_EQ(c.Accept(5).missed, 2);
}

TEST(LineCursorTest, AcceptsACounterThatStartsOver) {
  LineCursor c;
  c.SetHistoryEnd(7);
  EXPECT_TRUE(c.Accept(8).print);
  auto d = c.Accept(1);  // a new stem counts from 1 again
  EXPECT_TRUE(d.print);
  EXPECT_EQ(d.missed, 0);
  EXPECT_TRUE(c.Accept(2).print);
}

// After a zsupd kill -9 the stem sends the next zsupd the output it had no
// acknowledgement for, so a few lines may come twice: printed once.
TEST(LineCursorTest, LinesThatComeAgainArePrintedOnce) {
  LineCursor c;
  c.SetHistoryEnd(std::nullopt);
  for (int64_t seq = 1; seq <= 10; ++seq) ASSERT_TRUE(c.Accept(seq).print);
  EXPECT_FALSE(c.Accept(9).print);
  EXPECT_FALSE(c.Accept(10).print);
  auto d = c.Accept(11);
  EXPECT_TRUE(d.print);
  EXPECT_EQ(d.missed, 0) << "a repeat does not move the cursor back";
}

}  // namespace
}  // namespace zsup::ctl
