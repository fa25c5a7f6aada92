#include "supervisor/curve_auth.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace zsup {
namespace {

namespace fs = std::filesystem;

class CurveAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zsup-curve-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = std::string(tmpl) + "/curve";
  }
  void TearDown() override { fs::remove_all(fs::path(dir_).parent_path()); }
  void Write(const std::string& rel, const std::string& text) { std::ofstream(dir_ + "/" + rel) << text; }
  std::string dir_;
};

TEST_F(CurveAuthTest, FirstLoadCreatesTheKeypairAndKeepsItAfterwards) {
  bool created = false;
  auto keys = LoadOrCreateServerKeys(dir_, &created);
  ASSERT_TRUE(keys.ok()) << keys.error();
  EXPECT_TRUE(created);
  struct stat st {};
  ASSERT_EQ(::stat((dir_ + "/server.secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir_ + "/authorized").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(*ReadKeyFile(dir_ + "/server.key"), keys->public_z85);
  auto again = LoadOrCreateServerKeys(dir_, &created);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(created);
  EXPECT_EQ(again->secret_z85, keys->secret_z85);
  // A lost public half is written again from the secret.
  fs::remove(dir_ + "/server.key");
  again = LoadOrCreateServerKeys(dir_, &created);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*ReadKeyFile(dir_ + "/server.key"), keys->public_z85);
  // A public key of another pair is an error, not silently replaced.
  fs::remove(dir_ + "/server.key");
  Write("server.key", NewCurveKeyPair()->public_z85 + "\n");
  EXPECT_FALSE(LoadOrCreateServerKeys(dir_, &created).ok());
}

TEST_F(CurveAuthTest, KeyRingReadsBothDirectoriesAndFullAccessWins) {
  bool created = false;
  ASSERT_TRUE(LoadOrCreateServerKeys(dir_, &created).ok());
  const CurveKeyPair a = *NewCurveKeyPair(), b = *NewCurveKeyPair(), c = *NewCurveKeyPair();
  Write("authorized/alice", "# alice's laptop\n\n" + a.public_z85 + "\n");
  Write("readonly/bob", b.public_z85);
  Write("readonly/alice-too", a.public_z85);
  Write("authorized/broken", "not a key\n");
  Write("authorized/two", b.public_z85 + "\n" + c.public_z85 + "\n");
  Write("authorized/.hidden", c.public_z85);
  Write("authorized/carol~", c.public_z85);
  std::vector<std::string> warnings;
  KeyRing ring = KeyRing::Load(dir_, &warnings);
  EXPECT_EQ(ring.Find(Z85Decode32(a.public_z85)), Access::kFull);
  EXPECT_EQ(ring.Find(Z85Decode32(b.public_z85)), Access::kReadOnly);
  EXPECT_EQ(ring.Find(Z85Decode32(c.public_z85)), Access::kNone) << "dot and backup files";
  EXPECT_EQ(ring.full(), 1u);
  EXPECT_EQ(ring.read_only(), 1u);
  ASSERT_EQ(warnings.size(), 2u);
  for (const std::string& w : warnings) EXPECT_NE(w.find("skipped"), std::string::npos) << w;
}

TEST(CurveKeyTextTest, OneKeyWithCommentsAndBlankLines) {
  const std::string key = NewCurveKeyPair()->public_z85;
  EXPECT_EQ(*ParseKeyText("  " + key + "  \r\n"), key);
  EXPECT_EQ(*ParseKeyText("# c\n\n" + key), key);
  EXPECT_FALSE(ParseKeyText("").ok());
  EXPECT_FALSE(ParseKeyText("# only a comment\n").ok());
  EXPECT_FALSE(ParseKeyText(key.substr(1)).ok());
  EXPECT_FALSE(ParseKeyText(key + key).ok());
  EXPECT_FALSE(IsZ85Key(std::string(40, '"')));
}

}  // namespace
}  // namespace zsup
