#include "tools/zsupctl/cluster/zeekctl_cfg.h"

#include <gtest/gtest.h>

#include "tools/zsupctl/cluster/test_data.h"

namespace zsup::cluster {
namespace {

TEST(ZeekctlCfgTest, DefaultsAreZeekControls) {
  ZeekctlOptions o = DefaultZeekctlOptions();
  EXPECT_EQ(o.zeek_port, 27760);
  EXPECT_EQ(o.metrics_port, 9991);
  EXPECT_TRUE(o.zeromq());
  EXPECT_EQ(o.spool_dir, "/usr/local/zeek/spool");
  EXPECT_EQ(o.site_policy_scripts, "local.zeek");
}

TEST(ZeekctlCfgTest, KeysAreCaseInsensitiveWithSpacesAroundTheEquals) {
  auto o = ParseZeekctlCfg(
      "  ZeekPort =   41234  \n# SpoolDir = /no\nzeekbase=/opt/zeek\n"
      "CLUSTERBACKEND = Broker\nMetricsPort=0\n",
      "zeekctl.cfg");
  ASSERT_TRUE(o.ok()) << o.error();
  EXPECT_EQ(o->zeek_port, 41234);
  EXPECT_EQ(o->metrics_port, 0);
  EXPECT_FALSE(o->zeromq());
  EXPECT_EQ(o->spool_dir, "/opt/zeek/spool");  // the default follows ZeekBase
  // ZeekControl's own mixed-case test file parses (an option zsup ignores).
  EXPECT_TRUE(ParseZeekctlCfg(testing::Data("zeekctl.cfg__mixedcase"), "f").ok());
}

TEST(ZeekctlCfgTest, ErrorsNameTheFileAndLine) {
  EXPECT_EQ(ParseZeekctlCfg("a = 1\nnonsense\n", "z.cfg").error(),
            "z.cfg:2: zeekctl config syntax error: nonsense");
  EXPECT_EQ(ParseZeekctlCfg("\nZeekPort = x\n", "z.cfg").error(),
            "z.cfg:2: zeekctl option 'zeekport' has invalid value 'x' for type int");
  EXPECT_EQ(ParseZeekctlCfg("ClusterBackend = Kafka\n", "z.cfg").error(),
            "z.cfg:1: ClusterBackend 'Kafka' is not supported (ZeroMQ or Broker)");
  EXPECT_EQ(ParseZeekctlCfg("env_vars = A=1,\n", "z.cfg").error(),
            "z.cfg:1: zeekctl config: missing '=' in env_vars option value: ");
}

TEST(ZeekctlCfgTest, LegacyNamesAndQuotedValuesAreRefusedAsByZeekControl) {
  EXPECT_EQ(ParseZeekctlCfg("BroPort = 47760\n", "z.cfg").error(),
            "z.cfg:1: option 'BroPort' is no longer supported, please use 'ZeekPort' instead");
  EXPECT_EQ(ParseZeekctlCfg("SpoolDir = \"/var/spool\"\n", "z.cfg").error(),
            "z.cfg:1: value of zeekctl option \"spooldir\" cannot be wrapped in quotes");
  EXPECT_EQ(ParseZeekctlCfg("MetricsAddress = metrics.example\n", "z.cfg").error(),
            "z.cfg:1: MetricsAddress 'metrics.example' is not an IP address");
  EXPECT_EQ(ParseZeekctlCfg("ZeekArgs = -f 'tcp\n", "z.cfg").error(),
            "z.cfg:1: ZeekArgs: unterminated ' quote");
}

TEST(ZeekctlCfgTest, ZeekArgsAreSplitAsAShellSplitsThem) {
  auto o = ParseZeekctlCfg("ZeekArgs = -f \"tcp port 80\"  -e 'print \"hi\"' x\\ y\n", "z.cfg");
  ASSERT_TRUE(o.ok()) << o.error();
  EXPECT_EQ(o->zeek_args,
            (std::vector<std::string>{"-f", "tcp port 80", "-e", "print \"hi\"", "x y"}));
  EXPECT_EQ(DefaultZeekctlOptions().metrics_address, "127.0.0.1");
  o = ParseZeekctlCfg("ZeekArgs = -C # checksums off\n", "z.cfg");
  ASSERT_TRUE(o.ok()) << o.error();
  EXPECT_EQ(o->zeek_args, std::vector<std::string>{"-C"});
  EXPECT_EQ(ParseZeekctlCfg("ZeekArgs = -C; rm x\n", "z.cfg").error(),
            "z.cfg:1: ZeekArgs: ';' outside quotes: zsup runs no shell (quote it, or leave it "
            "out)");
}

TEST(ZeekctlCfgTest, GlobalEnvVarsAsTheEnvVarTestsWriteThem) {
  auto o = ParseZeekctlCfg(testing::Data("zeekctl.cfg__env_vars_line"), "f");
  ASSERT_TRUE(o.ok()) << o.error();
  EXPECT_EQ(o->env_vars, (std::map<std::string, std::string>{{"myVar1", "\"some Global;val\""},
                                                             {"MyVar2", "anotherglobal"},
                                                             {"myvar5", "$PATH:/mydir"}}));
}

TEST(ZeekctlCfgTest, ShellQuotesAreRemovedButDollarIsNotExpanded) {
  EXPECT_EQ(RemoveShellQuotes("\"some Global;val\""), "some Global;val");
  EXPECT_EQ(RemoveShellQuotes("'$PATH'"), "$PATH");
  EXPECT_EQ(RemoveShellQuotes("$PATH:/mydir"), "$PATH:/mydir");
  EXPECT_EQ(RemoveShellQuotes("a\"b c\"'d'\\ e"), "ab cd e");
  EXPECT_EQ(RemoveShellQuotes("\"x\\\"y\\n\""), "x\"y\\n");
}

}  // namespace
}  // namespace zsup::cluster
