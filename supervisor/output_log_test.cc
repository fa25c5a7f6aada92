#include "supervisor/output_log.h"

#include <gtest/gtest.h>

namespace zsup {
namespace {

TEST(OutputLogTest, KeepsTheNewestThousandLines) {
  OutputRing ring;
  for (int i = 1; i <= 1500; ++i) ring.Add("line " + std::to_string(i), i, 1.0);
  EXPECT_EQ(ring.size(), 1000u);
  auto tail = ring.Tail(3);
  ASSERT_EQ(tail.size(), 3u);
  EXPECT_EQ(tail[0].msg, "line 1498");
  EXPECT_EQ(tail[2].msg, "line 1500");
  EXPECT_EQ(tail[2].seq, 1500);
  EXPECT_EQ(ring.Tail(5000).front().seq, 501);
}

TEST(OutputLogTest, BoundedInBytes) {
  OutputRing ring;
  std::string big(64 * 1024, 'x');
  for (int i = 1; i <= 100; ++i) ring.Add(big, i, 1.0);
  EXPECT_LE(ring.bytes(), OutputRing::kMaxBytes);
  EXPECT_EQ(ring.size(), 16u);
  EXPECT_EQ(ring.Tail(1).front().seq, 100);
}

TEST(OutputLogTest, KeepsOneLineEvenIfHuge) {
  OutputRing ring;
  ring.Add(std::string(2 << 20, 'x'), 1, 1.0);
  EXPECT_EQ(ring.size(), 1u);
}

TEST(OutputLogTest, SeparatesNodesAndStreams) {
  OutputLog log;
  log.Ring("w1", Stream::kStdout).Add("out", 1, 1.0);
  log.Ring("w1", Stream::kStderr).Add("err", 1, 1.0);
  log.Ring("w10", Stream::kStdout).Add("other", 1, 1.0);
  EXPECT_EQ(log.Tail("w1", Stream::kStdout, 10).size(), 1u);
  EXPECT_EQ(log.Tail("w1", Stream::kStdout, 10)[0].msg, "out");
  EXPECT_EQ(log.Tail("w1", Stream::kStderr, 10)[0].msg, "err");
  EXPECT_TRUE(log.Tail("nobody", Stream::kStdout, 10).empty());
  log.Forget("w1");
  EXPECT_TRUE(log.Tail("w1", Stream::kStdout, 10).empty());
  EXPECT_EQ(log.Tail("w10", Stream::kStdout, 10).size(), 1u);
}

TEST(OutputLogTest, RecognisesLinesItHasAlready) {
  OutputRing ring;
  EXPECT_EQ(ring.Repeated(1, 5), 0u);
  for (int64_t seq = 1; seq <= 10; ++seq) ring.Add("l", seq, 0);
  EXPECT_EQ(ring.last_seq(), 10);
  EXPECT_EQ(ring.Repeated(11, 5), 0u) << "the next lines";
  EXPECT_EQ(ring.Repeated(9, 5), 2u) << "9 and 10 again, then new ones";
  EXPECT_EQ(ring.Repeated(4, 3), 3u) << "all seen";
  EXPECT_EQ(ring.Repeated(1, 3), 0u) << "a new stem counts from 1 again";
}

}  // namespace
}  // namespace zsup
