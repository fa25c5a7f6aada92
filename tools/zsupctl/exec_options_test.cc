#include "tools/zsupctl/exec_options.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace zsup::ctl {
namespace {

TEST(ExecOptionsTest, Sizes) {
  EXPECT_EQ(*ParseSize("4096"), 4096);
  EXPECT_EQ(*ParseSize("100k"), 100 * 1024);
  EXPECT_EQ(*ParseSize("10M"), 10 << 20);
  EXPECT_EQ(*ParseSize("10MB"), 10 << 20);
  EXPECT_EQ(*ParseSize("1GiB"), int64_t{1} << 30);
  EXPECT_EQ(*ParseSize("2g"), int64_t{2} << 30);
  for (const char* bad : {"", "0", "-5", "10X", "M", "1.5M", "99999999999G"}) {
    EXPECT_FALSE(ParseSize(bad).ok()) << bad;
  }
}

TEST(ExecOptionsTest, Rotate) {
  EXPECT_EQ(*ParseRotate("10M"), (Rotation{10 << 20, kDefaultBackups}));
  EXPECT_EQ(*ParseRotate("1k:3"), (Rotation{1024, 3}));
  EXPECT_EQ(*ParseRotate("1k:0"), (Rotation{1024, 0}));
  auto bad = ParseRotate("1k:many");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "--rotate: backups must be a number from 0 to 1000, not 'many'");
  EXPECT_FALSE(ParseRotate("big").ok());
  EXPECT_FALSE(ParseRotate("1k:1001").ok());
}

TEST(ExecOptionsTest, Rlimits) {
  auto one = ParseRlimit("nofile=65536");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->first, "nofile");
  EXPECT_EQ(one->second, (Rlimit{65536, 65536}));
  EXPECT_EQ(ParseRlimit("core=0:unlimited")->second, (Rlimit{0, -1}));
  EXPECT_EQ(ParseRlimit("memlock=infinity")->second, (Rlimit{-1, -1}));
  for (const char* bad : {"nofile", "=5", "nofile=", "nofile=lots", "nofile=1:", "nofile=-2"}) {
    EXPECT_FALSE(ParseRlimit(bad).ok()) << bad;
  }
}

TEST(ExecOptionsTest, UmaskIsOctal) {
  EXPECT_EQ(*ParseUmask("027"), 027);
  EXPECT_EQ(*ParseUmask("0022"), 022);
  EXPECT_EQ(*ParseUmask("7"), 7);
  for (const char* bad : {"", "8", "0999", "1000", "u=rwx", "-1"}) {
    EXPECT_FALSE(ParseUmask(bad).ok()) << bad;
  }
}

TEST(ExecOptionsTest, AbsolutePathAgainstTheWorkingDirectory) {
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
  EXPECT_EQ(*AbsolutePath("/abs/x"), "/abs/x");
  EXPECT_EQ(*AbsolutePath("logs/out"), std::string(cwd) + "/logs/out");
  EXPECT_EQ(*AbsolutePath("./out"), std::string(cwd) + "/out");
  EXPECT_EQ(*AbsolutePath("."), std::string(cwd));
  EXPECT_EQ(*AbsolutePath(""), "");
}

}  // namespace
}  // namespace zsup::ctl
