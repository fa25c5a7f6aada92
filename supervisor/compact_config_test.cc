// CompactConfig: the bytes decode to the config it was made from, and the
// fields read without decoding match it.
#include "supervisor/compact_config.h"

#include <gtest/gtest.h>

#include "broker/codec.h"
#include "broker/test_util.h"
#include "supervisor/descriptor_budget.h"

namespace zsup {
namespace {

TEST(CompactConfigTest, GetGivesBackTheWholeConfig) {
  const NodeConfig full = testing::FullConfig();
  const CompactConfig compact(full);
  EXPECT_EQ(compact.Get(), full);
  EXPECT_EQ(compact.bytes(), EncodeNodeConfig(full));
  EXPECT_EQ(compact.name(), full.name);
}

TEST(CompactConfigTest, TheFieldsReadWithoutDecodingMatchTheConfig) {
  NodeConfig c;
  c.name = "w";
  c.command = {"/bin/true"};
  CompactConfig plain(c);
  EXPECT_EQ(plain.stage(), 0);
  EXPECT_FALSE(plain.name_space().has_value());
  EXPECT_FALSE(plain.ready_timeout().has_value());
  EXPECT_FALSE(plain.has_output_files());
  EXPECT_EQ(plain.stem_descriptors(), StemDescriptors(c));

  c.name_space = "cluster";
  c.stage = 2;
  c.ready_timeout = 7.5;
  c.stderr_file = "err.log";
  CompactConfig staged(c);
  EXPECT_EQ(staged.stage(), 2);
  EXPECT_EQ(staged.name_space(), "cluster");
  EXPECT_EQ(staged.ready_timeout(), 7.5);
  EXPECT_TRUE(staged.has_output_files());
  EXPECT_EQ(staged.stem_descriptors(), StemDescriptors(c));
  EXPECT_GT(staged.stem_descriptors(), plain.stem_descriptors());
}

TEST(CompactConfigTest, APlainNodeTakesFarLessThanANodeConfig) {
  NodeConfig c;
  c.name = "worker-17";
  c.command = {"/bin/sleep", "100000"};
  EXPECT_LT(sizeof(CompactConfig) + CompactConfig(c).bytes().capacity(), sizeof(NodeConfig) / 3);
}

}  // namespace
}  // namespace zsup
