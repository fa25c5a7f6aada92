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

}  // namespace
}  // namespace zsup::ctl
