#include "stem/output_splitter.h"

#include <gtest/gtest.h>

#include <vector>

namespace zsup {
namespace {

struct Collector {
  std::vector<std::string> lines;
  void operator()(std::string_view l) { lines.emplace_back(l); }
};

std::vector<std::string> Split(std::initializer_list<std::string_view> chunks, bool flush = true) {
  OutputSplitter s;
  Collector c;
  for (std::string_view chunk : chunks) s.Feed(chunk, c);
  if (flush) s.Flush(c);
  return c.lines;
}

using Lines = std::vector<std::string>;

TEST(OutputSplitterTest, SplitsOnNewlineAndStripsIt) {
  EXPECT_EQ(Split({"a\nbb\nccc\n"}), (Lines{"a", "bb", "ccc"}));
}

TEST(OutputSplitterTest, DropsEmptyLines) { EXPECT_EQ(Split({"\n\na\n\n\nb\n"}), (Lines{"a", "b"})); }

TEST(OutputSplitterTest, JoinsLinesAcrossChunks) {
  EXPECT_EQ(Split({"hel", "lo wo", "rld\nne", "xt\n"}), (Lines{"hello world", "next"}));
}

TEST(OutputSplitterTest, PartialLineWaitsForFlush) {
  EXPECT_EQ(Split({"done\npartial"}, /*flush=*/false), (Lines{"done"}));
  EXPECT_EQ(Split({"done\npartial"}), (Lines{"done", "partial"}));
}

TEST(OutputSplitterTest, FlushWithNothingBufferedEmitsNothing) {
  EXPECT_EQ(Split({"a\n"}), (Lines{"a"}));
}

TEST(OutputSplitterTest, KeepsCarriageReturns) { EXPECT_EQ(Split({"a\r\n"}), (Lines{"a\r"})); }

TEST(OutputSplitterTest, SplitsLongLinesAt64KiB) {
  const size_t max = OutputSplitter::kMaxLine;
  std::string big(max * 2 + 10, 'x');
  auto lines = Split({big + "\n"});
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].size(), max);
  EXPECT_EQ(lines[1].size(), max);
  EXPECT_EQ(lines[2].size(), 10u);
}

TEST(OutputSplitterTest, SplitsLongLinesArrivingInSmallChunks) {
  const size_t max = OutputSplitter::kMaxLine;
  OutputSplitter s;
  Collector c;
  std::string chunk(1000, 'y');
  size_t sent = 0;
  for (; sent < max + 1500; sent += chunk.size()) s.Feed(chunk, c);
  EXPECT_EQ(c.lines.size(), 1u);  // one full piece out, the rest still buffered
  EXPECT_LT(s.buffered(), max + 1);
  s.Feed("\n", c);
  ASSERT_EQ(c.lines.size(), 2u);
  EXPECT_EQ(c.lines[0].size(), max);
  EXPECT_EQ(c.lines[0].size() + c.lines[1].size(), sent);
}

TEST(OutputSplitterTest, OneMebibyteLine) {
  std::string big(1 << 20, 'z');
  auto lines = Split({big, "\n"});
  ASSERT_EQ(lines.size(), 16u);
  for (const auto& l : lines) EXPECT_EQ(l.size(), OutputSplitter::kMaxLine);
}

TEST(OutputSplitterTest, LongLineCutsAtCharacterBoundaries) {
  const size_t max = OutputSplitter::kMaxLine;
  std::string line(max - 1, 'a');
  line += "\xe2\x82\xac";  // € straddles the 64 KiB boundary
  line += "tail";
  auto lines = Split({line + "\n"});
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].size(), max - 1);
  EXPECT_EQ(lines[1], "\xe2\x82\xac" "tail");
}

TEST(OutputSplitterTest, InvalidUtf8IsReplaced) {
  EXPECT_EQ(Split({"bad \xff byte\n"}), (Lines{"bad \xEF\xBF\xBD byte"}));
}

TEST(OutputSplitterTest, MultiByteCharacterSplitAcrossReads) {
  EXPECT_EQ(Split({"caf\xc3", "\xa9\n"}), (Lines{"caf\xc3\xa9"}));
}

}  // namespace
}  // namespace zsup
