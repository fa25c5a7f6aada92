// The batches socket's payload (OutputBatchEvent): round trips, the exact
// in-place size, and what a decoder refuses.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "broker/codec.h"

namespace zsup {
namespace {

TEST(BatchCodecTest, RoundTripsOnBothStreams) {
  const OutputBatchEvent batch{"w1", 41, 8.5, {"first line", "", "third \xc3\xa9"}};
  for (EventKind kind : {EventKind::kStdout, EventKind::kStderr}) {
    EventKind seen = EventKind::kPong;
    auto decoded = DecodeOutputBatch(EventTopic(kind, "w1"), EncodeOutputBatch(batch), &seen);
    ASSERT_TRUE(decoded.ok()) << decoded.error();
    EXPECT_EQ(*decoded, batch);
    EXPECT_EQ(seen, kind);
  }
}

TEST(BatchCodecTest, UsesTheDocumentedKeys) {
  auto j = nlohmann::json::from_msgpack(EncodeOutputBatch({"w", 7, 1.5, {"a", "b"}}));
  EXPECT_EQ(j, nlohmann::json({{"node", "w"}, {"seq", 7}, {"at", 1.5}, {"msgs", {"a", "b"}}}));
}

TEST(BatchCodecTest, SizeIsExactForEveryLengthClass) {
  // Lengths across msgpack's str8/str16/str32 and fixarray/array16 forms.
  for (size_t line : {0u, 31u, 32u, 255u, 256u, 65535u, 65536u}) {
    for (size_t count : {1u, 15u, 16u, 70u}) {
      const std::string text(line, 'x');
      const std::vector<std::string_view> msgs(count, text);
      const size_t size = OutputBatchSize("node", msgs, 1 << 20, 2.0);
      std::string out(size + 1, '#');
      WriteOutputBatch(out.data(), "node", msgs, 1 << 20, 2.0);
      EXPECT_EQ(out.back(), '#') << line << " " << count;  // nothing written past the size
      out.pop_back();
      auto decoded = DecodeOutputBatch("stdout/node", out);
      ASSERT_TRUE(decoded.ok()) << decoded.error();
      EXPECT_EQ(decoded->msgs.size(), count);
      EXPECT_EQ(decoded->seq, 1 << 20);
    }
  }
}

TEST(BatchCodecTest, RefusesWhatIsNotABatch) {
  const std::string good = EncodeOutputBatch({"w", 1, 1.0, {"x"}});
  auto e = DecodeOutputBatch("node_status/w", good);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error(), "batch topic must be stdout/<node> or stderr/<node>, not 'node_status/w'");
  e = DecodeOutputBatch("stdout", good);
  EXPECT_FALSE(e.ok());
  e = DecodeOutputBatch("stdout/w2", good);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error(), "batch topic names node 'w2' but its payload 'w'");
  e = DecodeOutputBatch("stdout/w", EncodeOutputBatch({"w", 1, 1.0, {}}));
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error(), "msgs: a batch holds at least one line");
  e = DecodeOutputBatch("stdout/w", EncodeOutputEvent({"w", "x", 1, 1.0}));
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error(), "missing field 'msgs' in batch");
  const auto wrong = nlohmann::json::to_msgpack(
      nlohmann::json({{"node", "w"}, {"seq", 1}, {"at", 1.0}, {"msgs", {1, 2}}}));
  e = DecodeOutputBatch("stdout/w", std::string(wrong.begin(), wrong.end()));
  EXPECT_FALSE(e.ok());
  e = DecodeOutputBatch("stdout/w", good.substr(0, good.size() - 1));  // truncated
  EXPECT_FALSE(e.ok());
}

}  // namespace
}  // namespace zsup
