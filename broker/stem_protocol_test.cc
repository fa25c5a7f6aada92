#include "broker/stem_protocol.h"

#include <gtest/gtest.h>

#include <functional>

#include "broker/codec.h"
#include "broker/test_util.h"

namespace zsup::stem {
namespace {

TEST(StemProtocolTest, EveryMessageRoundTrips) {
  NodeReport report{"w1", "00ff", NodeState::kRunning, 42, 3, 1.5, ExitInfo{{}, 15, 1.0, true},
                    testing::FullConfig()};
  NodeReport idle{"w2", "abcd", NodeState::kBackoff, {}, 0, {}, {}, {}, false, "waiting"};
  std::vector<Message> messages = {
      Hello{1, 99, Settings{"/opt/zeek/bin/zeek", 5.0, 60.0, 0.0}},
      CreateNode{testing::FullConfig(), "0123456789abcdef", 4},
      DestroyNode{"w1"},
      RestartNode{"w1"},
      ReopenNode{"w2"},
      Shutdown{},
      Heartbeat{},
      ByeAck{},
      Welcome{1, 1234, {report, idle}},
      NodeStarted{"w1", 42, 3, 2.5},
      NodeExited{"w1", 42, 0, {}, true, 3.5, NodeState::kExited, 0},
      NodeExited{"w1", 43, {}, 11, false, 4.5, NodeState::kBackoff, 7},
      NodeOutput{"w1", Stream::kStderr, 17, 5.5, {"a", "b c", std::string(70000, 'x')}},
      NodeError{"w1", "node 'w1' failed to exec 'nope': No such file or directory"},
      NodeUpdate{"w1", NodeState::kStopping, 42, 3, {}, false},
      NodeUpdate{"w1", NodeState::kBackoff, {}, 4, 1700000000.5, false},
      NodeUpdate{"w1", NodeState::kExited, {}, 0, {}, true},
      NodeUpdate{"w1", NodeState::kRunning, 42, 0, {}, false, true, 1700000001.25, "loading"},
      StemLog{"2026-12-01T00:00:00.000Z zsup-stem INFO hello"},
      Bye{},
  };
  for (const Message& m : messages) {
    auto back = Decode(Encode(m));
    ASSERT_TRUE(back.ok()) << back.error();
    EXPECT_EQ(*back, m) << "type index " << m.index();
  }
}

TEST(StemProtocolTest, AReportWithAConfigThisSideCannotReadKeepsTheRest) {
  NodeReport report{"w1", "00ff", NodeState::kRunning, 42, 3, 1.5, {}, testing::FullConfig()};
  std::string frame = Encode(Welcome{2, 1, {report}});
  // A newer stem's config: an unknown field inside the blob.
  const std::string known = "\xa4name";
  ASSERT_NE(frame.find(known), std::string::npos);
  frame.replace(frame.find(known), known.size(), "\xa4nam_");
  auto back = Decode(frame);
  ASSERT_TRUE(back.ok()) << back.error();
  const NodeReport& got = std::get<Welcome>(*back).nodes.at(0);
  EXPECT_FALSE(got.config.has_value());
  EXPECT_EQ(got.pid, 42);
}

TEST(StemProtocolTest, OutputViewReadsLinesInPlace) {
  const std::string frame =
      Encode(NodeOutput{"w1", Stream::kStderr, 17, 5.5, {"a", "b c", std::string(70000, 'x')}});
  auto view = DecodeOutputView(frame);
  ASSERT_TRUE(view.has_value());
  ASSERT_TRUE(view->ok()) << view->error();
  const OutputView& v = view->value();
  EXPECT_EQ(v.name, "w1");
  EXPECT_EQ(v.stream, Stream::kStderr);
  EXPECT_EQ(v.first_seq, 17);
  EXPECT_EQ(v.at, 5.5);
  ASSERT_EQ(v.lines.size(), 3u);
  EXPECT_EQ(v.lines[1], "b c");
  EXPECT_EQ(v.lines[2].size(), 70000u);
  EXPECT_GE(v.lines[2].data(), frame.data());  // not a copy
  EXPECT_LT(v.lines[2].data(), frame.data() + frame.size());
}

TEST(StemProtocolTest, AnOutputFrameCarriesTheIdStampedIntoIt) {
  NodeOutput out{"w1", Stream::kStdout, 3, 1.5, {"x"}};
  std::string frame = Encode(out);
  EXPECT_EQ(OutputIdOf(frame), 0) << "no id until stamped";
  ASSERT_TRUE(StampOutputId(frame, 0x0102030405060708));
  EXPECT_EQ(OutputIdOf(frame), 0x0102030405060708);
  auto view = DecodeOutputView(frame);
  ASSERT_TRUE(view && view->ok());
  EXPECT_EQ(view->value().id, 0x0102030405060708);
  EXPECT_EQ(view->value().lines.at(0), "x");
  auto back = Decode(frame);
  ASSERT_TRUE(back.ok()) << back.error();
  out.id = 0x0102030405060708;
  EXPECT_EQ(std::get<NodeOutput>(*back), out);
  EXPECT_EQ(Encode(out), frame);
  // Any other frame is left alone.
  std::string heartbeat = Encode(Heartbeat{});
  EXPECT_FALSE(StampOutputId(heartbeat, 5));
  EXPECT_EQ(heartbeat, Encode(Heartbeat{}));
  EXPECT_EQ(OutputIdOf(heartbeat), 0);
  EXPECT_FALSE(StampOutputId(frame, -1));
}

TEST(StemProtocolTest, OutputOfAnOlderStemHasNoId) {
  const std::string frame = testing::Mp({{"t", "output"}, {"name", "w"}, {"stream", "stdout"},
                                         {"first_seq", 1}, {"at", 1.0},
                                         {"lines", std::vector<std::string>{"a"}}});
  auto view = DecodeOutputView(frame);
  ASSERT_TRUE(view && view->ok()) << (view ? view->error() : "not output");
  EXPECT_EQ(view->value().id, 0);
  auto m = Decode(frame);
  ASSERT_TRUE(m.ok()) << m.error();
  EXPECT_EQ(std::get<NodeOutput>(*m).id, 0);
}

TEST(StemProtocolTest, OutputAckRoundTrips) {
  auto m = Decode(Encode(OutputAck{123456789012}));
  ASSERT_TRUE(m.ok()) << m.error();
  EXPECT_EQ(std::get<OutputAck>(*m).through, 123456789012);
  EXPECT_FALSE(Decode(testing::Mp({{"t", "ack"}})).ok()) << "through is required";
}

TEST(StemProtocolTest, OutputViewLeavesOtherMessagesAlone) {
  EXPECT_FALSE(DecodeOutputView(Encode(Heartbeat{})).has_value());
  EXPECT_FALSE(DecodeOutputView("garbage").has_value());
  auto bad = DecodeOutputView(testing::Mp({{"t", "output"}, {"name", "w"}}));
  ASSERT_TRUE(bad.has_value());
  EXPECT_FALSE(bad->ok());
}

TEST(StemProtocolTest, UnknownTypeIsReportedNotAnError) {
  auto m = Decode(testing::Mp({{"t", "telemetry"}, {"x", 1}}));
  ASSERT_TRUE(m.ok()) << m.error();
  EXPECT_EQ(std::get<UnknownMessage>(*m).type, "telemetry");
}

// A `create` frame whose embedded config is `config` (a msgpack map).
std::string CreateFrame(const std::function<void(Packer&)>& config) {
  msgpack::sbuffer blob;
  Packer cpk(blob);
  config(cpk);
  msgpack::sbuffer frame;
  Packer pk(frame);
  pk.pack_map(3);
  pk.pack("t"), pk.pack("create");
  pk.pack("config"), pk.pack_bin(static_cast<uint32_t>(blob.size()));
  pk.pack_bin_body(blob.data(), static_cast<uint32_t>(blob.size()));
  pk.pack("fingerprint"), pk.pack("f");
  return FrameBytes(frame);
}

TEST(StemProtocolTest, ACreateWithAConfigFromANewerZsupdIsRejectedForThatNode) {
  auto m = Decode(CreateFrame([](Packer& pk) {
    pk.pack_map(2);
    pk.pack("name"), pk.pack("w1");
    pk.pack("future_field"), pk.pack(1);
  }));
  ASSERT_TRUE(m.ok()) << m.error();
  const auto* rejected = std::get_if<RejectedCreate>(&*m);
  ASSERT_NE(rejected, nullptr);
  EXPECT_EQ(rejected->name, "w1");
  EXPECT_EQ(rejected->error, "unknown field 'future_field' in config");
}

TEST(StemProtocolTest, ACreateWhoseConfigNamesNoNodeIsAnError) {
  auto m = Decode(CreateFrame([](Packer& pk) {
    pk.pack_map(1);
    pk.pack("future_field"), pk.pack(1);
  }));
  EXPECT_FALSE(m.ok());
}

TEST(StemProtocolTest, UnknownFieldsAreIgnored) {
  auto m = Decode(testing::Mp({{"t", "destroy"}, {"name", "w"}, {"reason", "new in v2"}}));
  ASSERT_TRUE(m.ok()) << m.error();
  EXPECT_EQ(std::get<DestroyNode>(*m).name, "w");
}

TEST(StemProtocolTest, ALastExitReportedByAnOlderStemIsNotCommanded) {
  auto m = Decode(testing::Mp(
      {{"t", "welcome"},
       {"version", 1},
       {"stem_pid", 7},
       {"nodes",
        {{{"name", "w"},
          {"fingerprint", "00"},
          {"state", "backoff"},
          {"restarts", 1},
          {"last_exit", {{"code", 2}, {"signal", nullptr}, {"at", 1.5}}}}}}}));
  ASSERT_TRUE(m.ok()) << m.error();
  const auto& nodes = std::get<Welcome>(*m).nodes;
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0].last_exit, (ExitInfo{2, {}, 1.5, false}));
}

TEST(StemProtocolTest, HelloWithoutSettingsUsesDefaults) {
  auto m = Decode(testing::Mp({{"t", "hello"}, {"version", 1}, {"supervisor_pid", 5}}));
  ASSERT_TRUE(m.ok()) << m.error();
  EXPECT_EQ(std::get<Hello>(*m).settings, Settings{});
}

TEST(StemProtocolTest, MalformedFramesAreErrors) {
  EXPECT_FALSE(Decode("").ok());
  EXPECT_FALSE(Decode(testing::Mp({1, 2})).ok());
  EXPECT_EQ(Decode(testing::Mp({{"name", "x"}})).error(), "missing field 't' in stem message");
  EXPECT_FALSE(Decode(testing::Mp({{"t", "exited"}, {"name", "x"}})).ok());
  EXPECT_EQ(Decode(testing::Mp({{"t", "create"}, {"config", {{"name", "x"}}}})).error(),
            "create: config must be an embedded msgpack blob");
}

TEST(StemProtocolTest, FingerprintFollowsTheConfig) {
  NodeConfig a = testing::FullConfig();
  NodeConfig b = a;
  EXPECT_EQ(Fingerprint(a), Fingerprint(b));
  EXPECT_EQ(Fingerprint(a).size(), 16u);
  b.command.push_back("--more");
  EXPECT_NE(Fingerprint(a), Fingerprint(b));
}

}  // namespace
}  // namespace zsup::stem
