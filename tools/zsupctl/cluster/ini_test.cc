#include "tools/zsupctl/cluster/ini.h"

#include <gtest/gtest.h>

namespace zsup::cluster {
namespace {

TEST(IniTest, SectionsKeysAndLinesAsConfigparserReadsThem) {
  auto sections = ParseIni(
      "# a comment\n"
      "[manager]\n"
      "Type = manager\n"
      "host:localhost\n"
      "\n"
      "  ; an indented comment\n"
      "[worker-1]\n"
      "type=worker\n"
      "env_vars = A=1, B=2\n",
      "node.cfg");
  ASSERT_TRUE(sections.ok()) << sections.error();
  ASSERT_EQ(sections->size(), 2u);
  const IniSection& m = (*sections)[0];
  EXPECT_EQ(m.name, "manager");
  EXPECT_EQ(m.line, 2);
  ASSERT_EQ(m.entries.size(), 2u);
  EXPECT_EQ(m.entries[0].key, "type");
  EXPECT_EQ(m.entries[0].value, "manager");
  EXPECT_EQ(m.entries[1].key, "host");
  EXPECT_EQ(m.entries[1].value, "localhost");
  EXPECT_EQ(m.entries[1].line, 4);
  const IniEntry* env = (*sections)[1].Find("env_vars");
  ASSERT_NE(env, nullptr);
  EXPECT_EQ(env->value, "A=1, B=2");  // the first '=' or ':' splits
}

TEST(IniTest, DeeperIndentedLinesContinueTheValue) {
  auto sections = ParseIni("[w]\nenv_vars = A=1,\n   B=2\nhost = h\n", "f");
  ASSERT_TRUE(sections.ok()) << sections.error();
  EXPECT_EQ((*sections)[0].Find("env_vars")->value, "A=1,\nB=2");
  EXPECT_EQ((*sections)[0].Find("host")->value, "h");
}

TEST(IniTest, DefaultSectionFillsEveryOtherSection) {
  auto sections = ParseIni("[DEFAULT]\nhost = 10.0.0.1\n[a]\ntype=manager\n[b]\nhost=x\n", "f");
  ASSERT_TRUE(sections.ok()) << sections.error();
  ASSERT_EQ(sections->size(), 2u);
  EXPECT_EQ((*sections)[0].Find("host")->value, "10.0.0.1");
  EXPECT_EQ((*sections)[1].Find("host")->value, "x");
}

TEST(IniTest, ErrorsNameTheFileAndLine) {
  EXPECT_EQ(ParseIni("type = manager\n", "node.cfg").error(),
            "node.cfg:1: 'type = manager' comes before any [section]");
  EXPECT_EQ(ParseIni("[a]\njunk\n", "node.cfg").error(),
            "node.cfg:2: expected KEY = VALUE, not 'junk'");
  EXPECT_EQ(ParseIni("[a]\nx=1\n[b]\n[a]\n", "node.cfg").error(),
            "node.cfg:4: section [a] appears twice (first on line 1)");
  EXPECT_EQ(ParseIni("[a]\nHost=1\nhost=2\n", "node.cfg").error(),
            "node.cfg:3: 'host' is set twice in [a] (first on line 2)");
  EXPECT_EQ(ParseIni("[a]\n= 1\n", "node.cfg").error(), "node.cfg:2: a key is missing before '='");
  EXPECT_EQ(ParseIni("[]\n", "node.cfg").error(), "node.cfg:1: a section header must be [NAME]");
}

TEST(IniTest, PercentSignsAreInterpolatedAsConfigparserDoes) {
  auto sections = ParseIni("[w]\nnic = eth0\nenv_vars = FMT=%%d, NIC=%(NIC)s\n", "f");
  ASSERT_TRUE(sections.ok()) << sections.error();
  EXPECT_EQ((*sections)[0].Find("env_vars")->value, "FMT=%d, NIC=eth0");
  EXPECT_EQ(ParseIni("[w]\nx = 100%\n", "f").error(),
            "f:2: '%' must be followed by '%' or '(' in '100%' (write %% for a %)");
  EXPECT_EQ(ParseIni("[w]\nx = %(y)s\n", "f").error(), "f:2: '%(y)s' names no key of [w]");
  EXPECT_EQ(ParseIni("[w]\nx = %(x)s\n", "f").error(), "f:2: '%(...)s' references nest too deep");
}

TEST(IniTest, EmptyValuesAndWindowsLineEnds) {
  auto sections = ParseIni("[a]\r\nx =\r\ny = 2\r\n", "f");
  ASSERT_TRUE(sections.ok()) << sections.error();
  EXPECT_EQ((*sections)[0].Find("x")->value, "");
  EXPECT_EQ((*sections)[0].Find("y")->value, "2");
}

}  // namespace
}  // namespace zsup::cluster
