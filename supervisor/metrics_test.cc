#include "supervisor/metrics.h"

#include <gtest/gtest.h>

#include "broker/codec.h"

namespace zsup {
namespace {

bool Has(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST(MetricsTest, LabelValuesAreEscapedAsTheTextFormatSays) {
  EXPECT_EQ(EscapeLabelValue("plain-1"), "plain-1");
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  EXPECT_EQ(EscapeLabelValue("ünïcode"), "ünïcode");
}

TEST(MetricsTest, ReplyIsOkReadsOnlyTheOkKey) {
  EXPECT_TRUE(ReplyIsOk(EncodeOkReply()));
  EXPECT_FALSE(ReplyIsOk(EncodeErrorReply("no")));
  StatusReport report;
  EXPECT_TRUE(ReplyIsOk(EncodeStatusReply(report)));
  EXPECT_TRUE(ReplyIsOk(EncodePingReply(PingReply{"1", 2})));
  EXPECT_FALSE(ReplyIsOk(""));
  EXPECT_FALSE(ReplyIsOk("garbage"));
}

TEST(MetricsTest, CommandNamesAreTheWireNames) {
  EXPECT_EQ(CommandName(Request(PingRequest{})), "ping");
  EXPECT_EQ(CommandName(Request(ReopenRequest{})), "reopen");
  EXPECT_EQ(CommandName(Request(ApplyRequest{})), "apply");
}

TEST(MetricsTest, RendersEveryFamilyWithEscapedNodeLabels) {
  NodeTable table;
  NodeConfig a;
  a.name = "we\"ird";
  NodeView& view = table.Add(a);
  view.pid = 42;
  view.ready = true;
  view.restarts = 3;
  view.started_at = 1700000000.5;
  NodeConfig b;
  b.name = "idle";
  table.Add(b);

  Metrics m;
  m.NodeExited("we\"ird", 3, std::nullopt);
  m.NodeExited("we\"ird", 3, std::nullopt);
  m.NodeExited("we\"ird", std::nullopt, 9);
  m.Output("we\"ird", Stream::kStdout, 10, 1000);
  m.Output("we\"ird", Stream::kStderr, 1, 7);
  m.Command("status", true, 0.0002);
  m.Command("create", false, 0.003);
  m.Command("create", true, 5.0);
  m.StemStarted();
  const std::string text = m.Render(table, {12, 1});

  EXPECT_TRUE(Has(text, "# TYPE zsup_node_up gauge")) << text;
  EXPECT_TRUE(Has(text, "zsup_node_up{node=\"we\\\"ird\"} 1"));
  EXPECT_TRUE(Has(text, "zsup_node_up{node=\"idle\"} 0"));
  EXPECT_TRUE(Has(text, "zsup_node_ready{node=\"we\\\"ird\"} 1"));
  EXPECT_TRUE(Has(text, "zsup_node_restarts_total{node=\"we\\\"ird\"} 3"));
  EXPECT_TRUE(Has(text, "zsup_node_exits_total{node=\"we\\\"ird\",code=\"3\"} 2"));
  EXPECT_TRUE(Has(text, "zsup_node_exits_total{node=\"we\\\"ird\",signal=\"9\"} 1"));
  EXPECT_TRUE(Has(text, "zsup_node_start_time_seconds{node=\"we\\\"ird\"} 1700000000.5"));
  EXPECT_EQ(text.find("zsup_node_start_time_seconds{node=\"idle\"}"), std::string::npos)
      << "no process, no start time";
  EXPECT_TRUE(Has(text, "zsup_output_lines_total{node=\"we\\\"ird\",stream=\"stdout\"} 10"));
  EXPECT_TRUE(Has(text, "zsup_output_bytes_total{node=\"we\\\"ird\",stream=\"stderr\"} 7"));
  EXPECT_TRUE(Has(text, "zsup_output_lines_total{node=\"idle\",stream=\"stdout\"} 0"));
  EXPECT_TRUE(Has(text, "zsup_stem_starts_total 1"));
  EXPECT_TRUE(Has(text, "zsup_events_dropped_total 12"));
  EXPECT_TRUE(Has(text, "zsup_commands_total{cmd=\"create\",ok=\"true\"} 1"));
  EXPECT_TRUE(Has(text, "zsup_commands_total{cmd=\"create\",ok=\"false\"} 1"));
  EXPECT_TRUE(Has(text, "zsup_commands_total{cmd=\"status\",ok=\"true\"} 1"));
  EXPECT_TRUE(Has(text, "# TYPE zsup_command_duration_seconds histogram"));
  EXPECT_TRUE(Has(text, "zsup_command_duration_seconds_bucket{le=\"0.0005\"} 1")) << text;
  EXPECT_TRUE(Has(text, "zsup_command_duration_seconds_bucket{le=\"0.005\"} 2"));
  EXPECT_TRUE(Has(text, "zsup_command_duration_seconds_bucket{le=\"2.5\"} 2"));
  EXPECT_TRUE(Has(text, "zsup_command_duration_seconds_bucket{le=\"+Inf\"} 3"));
  EXPECT_TRUE(Has(text, "zsup_command_duration_seconds_count 3"));
  for (size_t at = 0; (at = text.find('\n', at)) != std::string::npos; ++at) {
    EXPECT_NE(text.substr(at, 2), "\n\n") << "no empty lines";
  }
}

TEST(MetricsTest, ADestroyedNodesCountersAreForgotten) {
  NodeTable table;
  NodeConfig a;
  a.name = "gone";
  table.Add(a);
  Metrics m;
  m.NodeExited("gone", 1, std::nullopt);
  m.Forget("gone");
  table.Remove("gone");
  table.Add(a);
  EXPECT_EQ(m.Render(table, {}).find("zsup_node_exits_total{node=\"gone\""), std::string::npos);
}

}  // namespace
}  // namespace zsup
