#include "base/cli_errors.h"

#include <gtest/gtest.h>

#include <iostream>
#include <sstream>

namespace zsup::cli {
namespace {

// Parses `args` with a small program like zsupctl; returns the exit code
// and what went to stderr.
struct Outcome {
  int code;
  std::string err;
};

Outcome Parse(std::vector<std::string> args) {
  CLI::App app{"test program", "prog"};
  app.require_subcommand(1);
  double timeout = 5;
  app.add_option("--timeout", timeout)->check(Positive());
  CLI::App* status = app.add_subcommand("status", "");
  CLI::App* create = app.add_subcommand("create", "");
  std::string name;
  std::vector<std::string> env;
  int64_t stage = 0;
  create->add_option("NAME", name);
  create->add_option("--env", env)->allow_extra_args(false);
  create->add_option("--stage", stage)->check(NonNegative());
  CLI::App* apply = app.add_subcommand("apply", "");
  std::string file;
  apply->add_option("FILE", file)->required();
  (void)status;
  std::vector<const char*> argv = {"prog"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  std::ostringstream captured;
  std::streambuf* old = std::cerr.rdbuf(captured.rdbuf());
  int code = 0;
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    code = ReportParseError(app, e);
  }
  std::cerr.rdbuf(old);
  return {code, captured.str()};
}

TEST(CliErrorsTest, AnUnknownSubcommandIsNamedWithTheNearestOne) {
  Outcome o = Parse({"stauts"});
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.err,
            "prog: unknown subcommand 'stauts' (did you mean 'status'?)\n"
            "Run 'prog --help' for usage.\n");
  o = Parse({"bogus"});
  EXPECT_EQ(o.err, "prog: unknown subcommand 'bogus'\nRun 'prog --help' for usage.\n");
  o = Parse({});
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.err,
            "prog: a subcommand is required (status, create, apply)\n"
            "Run 'prog --help' for usage.\n");
}

TEST(CliErrorsTest, ExtraArgumentsAreListedInTheirOrderUnderTheirSubcommand) {
  Outcome o = Parse({"create", "e2", "--env", "A=1", "B=2", "C=3"});
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.err,
            "prog create: unexpected arguments 'B=2' 'C=3'\n"
            "Run 'prog create --help' for usage.\n");
  o = Parse({"create", "--bogus"});
  EXPECT_EQ(o.err,
            "prog create: unexpected argument '--bogus'\nRun 'prog create --help' for usage.\n");
}

TEST(CliErrorsTest, NumbersSayWhatIsAllowed) {
  Outcome o = Parse({"--timeout", "0", "status"});
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.err.substr(0, o.err.find('\n')),
            "prog status: --timeout: must be greater than 0, not '0'");
  o = Parse({"create", "x", "--stage", "-1"});
  EXPECT_NE(o.err.find("--stage: must be 0 or more, not '-1'"), std::string::npos) << o.err;
  EXPECT_EQ(Parse({"--timeout", "0.5", "status"}).code, 0);
  EXPECT_EQ(Parse({"--timeout", "nan", "status"}).code, 2);
}

TEST(CliErrorsTest, OtherErrorsKeepCli11sWordsUnderThePrefix) {
  Outcome o = Parse({"apply"});
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.err, "prog apply: FILE is required\nRun 'prog apply --help' for usage.\n");
}

TEST(CliErrorsTest, Nearest) {
  EXPECT_EQ(Nearest("stauts", {"status", "start", "stop"}), "status");
  EXPECT_EQ(Nearest("stpo", {"status", "start", "stop"}), "stop");
  EXPECT_EQ(Nearest("xyzzy", {"status", "start", "stop"}), "");
  EXPECT_EQ(Nearest("", {}), "");
}

}  // namespace
}  // namespace zsup::cli
