#include "broker/utf8.h"

#include <gtest/gtest.h>

namespace zsup {
namespace {

TEST(Utf8Test, Validity) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii that is longer than eight bytes"));
  EXPECT_TRUE(IsValidUtf8("w\xc3\xb6rker \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("abc\xc3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));             // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));         // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));     // past U+10FFFF
  EXPECT_FALSE(IsValidUtf8("12345678\x80xyz"));      // after the fast path
}

TEST(Utf8Test, SanitizeKeepsValidInputAsIs) {
  std::string scratch;
  std::string_view in = "caf\xc3\xa9";
  EXPECT_EQ(SanitizeUtf8(in, &scratch).data(), in.data());
}

TEST(Utf8Test, SanitizeReplacesEachInvalidByte) {
  std::string scratch;
  EXPECT_EQ(SanitizeUtf8("a\xff" "b\xc3", &scratch), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD");
  EXPECT_TRUE(IsValidUtf8(scratch));
}

TEST(Utf8Test, CutPointNeverSplitsASequence) {
  std::string s = "ab\xe2\x82\xac" "cd";  // a b € c d
  EXPECT_EQ(Utf8CutPoint(s, 2), 2u);
  EXPECT_EQ(Utf8CutPoint(s, 3), 2u);
  EXPECT_EQ(Utf8CutPoint(s, 4), 2u);
  EXPECT_EQ(Utf8CutPoint(s, 5), 5u);
  EXPECT_EQ(Utf8CutPoint(s, 100), s.size());
  std::string junk(10, '\x80');  // no lead byte at all: cut where asked
  EXPECT_EQ(Utf8CutPoint(junk, 5), 5u);
}

}  // namespace
}  // namespace zsup
