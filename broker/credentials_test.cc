#include "broker/credentials.h"

#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/resource.h>

#include "broker/validation.h"

namespace zsup {
namespace {

NodeConfig Node() {
  NodeConfig c;
  c.name = "w";
  c.command = {"/bin/true"};
  return c;
}

TEST(CredentialsTest, CapabilityNamesInEveryUsualSpelling) {
  EXPECT_EQ(CapabilityNumber("CAP_NET_RAW"), CAP_NET_RAW);
  EXPECT_EQ(CapabilityNumber("cap_net_admin"), CAP_NET_ADMIN);
  EXPECT_EQ(CapabilityNumber("net_bind_service"), CAP_NET_BIND_SERVICE);
  EXPECT_EQ(CapabilityNumber("CAP_NET_WIZARD"), std::nullopt);
  EXPECT_EQ(CapabilityNumber(""), std::nullopt);
  EXPECT_EQ(CapabilityNumber("CAP_ALL"), std::nullopt);
}

TEST(CredentialsTest, RlimitNames) {
  EXPECT_EQ(RlimitResource("nofile"), RLIMIT_NOFILE);
  EXPECT_EQ(RlimitResource("memlock"), RLIMIT_MEMLOCK);
  EXPECT_EQ(RlimitResource("NOFILE"), std::nullopt);
  EXPECT_EQ(RlimitResource("files"), std::nullopt);
  EXPECT_NE(RlimitNames().find("nofile, nproc"), std::string::npos) << RlimitNames();
}

TEST(CredentialsTest, EachInvalidValueIsRefusedNamingItsKey) {
  struct Case {
    void (*change)(NodeConfig&);
    const char* expected;
  };
  const Case cases[] = {
      {[](NodeConfig& c) { c.user = ""; }, "config.user: must be"},
      {[](NodeConfig& c) { c.group = "adm"; }, "config.group: needs `user`"},
      {[](NodeConfig& c) { c.capabilities = {"CAP_NET_RAW", "CAP_FLY"}; },
       "config.capabilities: unknown capability 'CAP_FLY'"},
      {[](NodeConfig& c) { c.umask = 01000; }, "config.umask: must be between 0 and 0777"},
      {[](NodeConfig& c) { c.umask = -1; }, "config.umask"},
      {[](NodeConfig& c) { c.nice = 20; }, "config.nice: must be between -20 and 19"},
      {[](NodeConfig& c) { c.nice = -21; }, "config.nice"},
      {[](NodeConfig& c) { c.rlimits = {{"files", Rlimit{1, 1}}}; },
       "config.rlimits: unknown limit 'files'"},
      {[](NodeConfig& c) { c.rlimits = {{"nofile", Rlimit{-2, -2}}}; },
       "config.rlimits.nofile: must be -1"},
      {[](NodeConfig& c) { c.rlimits = {{"nofile", Rlimit{100, 10}}}; },
       "config.rlimits.nofile: the soft limit 100 is above the hard limit 10"},
      {[](NodeConfig& c) { c.rlimits = {{"core", Rlimit{-1, 10}}}; }, "config.rlimits.core"},
      {[](NodeConfig& c) {
         c.stdout_file = "out";
         c.stdout_rotate = Rotation{0, 1};
       },
       "config.stdout_rotate.max_bytes"},
      {[](NodeConfig& c) {
         c.stderr_file = "err";
         c.stderr_rotate = Rotation{10, -1};
       },
       "config.stderr_rotate.backups"},
      {[](NodeConfig& c) { c.stdout_rotate = Rotation{10, 1}; },
       "config.stdout_rotate: needs stdout_file"},
      {[](NodeConfig& c) { c.stderr_rotate = Rotation{10, 1}; },
       "config.stderr_rotate: needs stderr_file"},
  };
  for (const Case& k : cases) {
    NodeConfig c = Node();
    k.change(c);
    Status s = ValidateNodeFields(c);
    ASSERT_FALSE(s.ok()) << k.expected;
    EXPECT_NE(s.message().find(k.expected), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("node 'w'"), std::string::npos) << s.message();
  }
}

TEST(CredentialsTest, ValidValuesPass) {
  NodeConfig c = Node();
  c.user = "nobody";
  c.group = "nogroup";
  c.capabilities = {"CAP_NET_RAW"};
  c.umask = 0;
  c.nice = -20;
  c.rlimits = {{"nofile", Rlimit{1024, 65536}}, {"core", Rlimit{-1, -1}}, {"as", Rlimit{5, -1}}};
  c.stdout_file = "out";
  c.stdout_rotate = Rotation{1, 0};
  c.tee = true;
  Status s = ValidateNodeFields(c);
  EXPECT_TRUE(s.ok()) << s.message();
}

TEST(CredentialsTest, OnlyCapabilitiesThisProcessHoldsCanBeGiven) {
  NodeConfig c = Node();
  c.capabilities = {"CAP_NET_RAW"};
  Status s = CheckCapabilitiesGrantable(c);
  if (::geteuid() == 0) {
    EXPECT_TRUE(s.ok()) << s.message();
  } else {
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.message().find("does not hold CAP_NET_RAW"), std::string::npos) << s.message();
  }
  EXPECT_TRUE(CheckCapabilitiesGrantable(Node()).ok());
}

TEST(CredentialsTest, NoUserMeansNoCredentials) {
  auto cred = ResolveCredentials(Node());
  ASSERT_TRUE(cred.ok()) << cred.error();
  EXPECT_FALSE(cred->has_value());
}

TEST(CredentialsTest, RootByNameAndByNumber) {
  for (const char* user : {"root", "0"}) {
    NodeConfig c = Node();
    c.user = user;
    auto cred = ResolveCredentials(c);
    ASSERT_TRUE(cred.ok()) << cred.error();
    ASSERT_TRUE(cred->has_value());
    EXPECT_EQ((*cred)->uid, 0u);
    EXPECT_EQ((*cred)->gid, 0u);
    EXPECT_EQ((*cred)->name, "root");
    EXPECT_EQ((*cred)->home, "/root");
    EXPECT_NE(std::find((*cred)->groups.begin(), (*cred)->groups.end(), 0u), (*cred)->groups.end());
  }
}

TEST(CredentialsTest, GroupOverridesThePrimaryGroup) {
  NodeConfig c = Node();
  c.user = "nobody";
  c.group = "0";
  auto cred = ResolveCredentials(c);
  ASSERT_TRUE(cred.ok()) << cred.error();
  EXPECT_EQ((*cred)->uid, 65534u);
  EXPECT_EQ((*cred)->gid, 0u);
  EXPECT_NE(std::find((*cred)->groups.begin(), (*cred)->groups.end(), 0u), (*cred)->groups.end())
      << "initgroups' list holds the primary group";
}

TEST(CredentialsTest, UnknownNamesAreRefused) {
  NodeConfig c = Node();
  c.user = "no-such-user-zsup";
  auto cred = ResolveCredentials(c);
  ASSERT_FALSE(cred.ok());
  EXPECT_EQ(cred.error(), "config.user: no user named 'no-such-user-zsup'");
  c.user = "root";
  c.group = "no-such-group-zsup";
  cred = ResolveCredentials(c);
  ASSERT_FALSE(cred.ok());
  EXPECT_EQ(cred.error(), "config.group: no group named 'no-such-group-zsup'");
}

TEST(CredentialsTest, NumericUidWithoutEntryNeedsGroup) {
  NodeConfig c = Node();
  c.user = "4000123";
  auto cred = ResolveCredentials(c);
  ASSERT_FALSE(cred.ok());
  EXPECT_NE(cred.error().find("give `group` too"), std::string::npos) << cred.error();
  c.group = "4000123";
  cred = ResolveCredentials(c);
  ASSERT_TRUE(cred.ok()) << cred.error();
  EXPECT_EQ((*cred)->uid, 4000123u);
  EXPECT_EQ((*cred)->gid, 4000123u);
  EXPECT_EQ((*cred)->groups, std::vector<gid_t>{4000123u});
  EXPECT_EQ((*cred)->name, "");
}

}  // namespace
}  // namespace zsup
