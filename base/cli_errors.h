// How every zsup program reports a bad command line (house style, one for
// zsupd, zsupctl and zsup-bench):
//
//   zsupctl create: unexpected argument 'B=2'
//   Run 'zsupctl create --help' for usage.
//
// always on stderr, always exit 2; --help and --version print to stdout and
// exit 0. An unknown subcommand is named, with the nearest known one:
// "zsupctl: unknown subcommand 'stauts' (did you mean 'status'?)". Numeric
// options get validators whose errors say what is allowed ("--timeout: must
// be greater than 0, not '0'") instead of CLI11's range with 309 digits.
// Nothing here throws.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace zsup::cli {

inline constexpr int kExitUsage = 2;

// "zsupctl cluster apply": the program and the deepest subcommand parsed.
std::string CommandPath(const CLI::App& app);

// Prints "<CommandPath(command)>: <message>" and the --help hint; returns 2.
int UsageError(const CLI::App& command, const std::string& message);

// Reports `e` (thrown by app.parse) as above and returns the exit code.
int ReportParseError(CLI::App& app, const CLI::ParseError& e);

// The candidate at most 2 edits from `word` (the closest, the first of a
// tie), or "" when none is that close.
std::string Nearest(const std::string& word, const std::vector<std::string>& candidates);

// Validators with plain messages, for numbers of any type.
CLI::Validator Positive();     // > 0
CLI::Validator NonNegative();  // >= 0

}  // namespace zsup::cli
