// What every zsupctl subcommand shares: where zsupd is, how long to wait for
// it, the exit codes, and how a failure is reported.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "broker/status.h"

namespace zsup::ctl {

// The documented exit codes (docs/zsupctl.md).
enum ExitCode : int {
  kExitOk = 0,
  kExitRefused = 1,      // zsupd said no (or another error)
  kExitUsage = 2,        // bad command line or input file
  kExitUnreachable = 3,  // nothing answered within --timeout
};

// The options before (or after) the subcommand.
struct GlobalOptions {
  std::string state_dir;         // --state-dir
  std::string control_endpoint;  // --endpoint
  std::string events_endpoint;   // --events
  double timeout_seconds = 5;    // --timeout
  std::string server_key_file;   // --server-key (or $ZSUP_SERVER_KEY): zsupd's server.key
  std::string client_key_file;   // --client-key (or $ZSUP_CLIENT_KEY): this client's .secret
  std::string hosts_file;        // --hosts (or $ZSUP_HOSTS): several zsupd (hosts.h)
  std::vector<std::string> only_hosts;  // --host: only these sections of hosts_file
};

// A subcommand: its CLI11 parser and what runs once the command line parsed.
struct Command {
  CLI::App* app = nullptr;
  std::function<int(const GlobalOptions&)> run;
  // Given the words after the first "--" of the command line (CLI11 never
  // sees them), for a subcommand that takes a program to run; without it
  // "--" is a usage error.
  std::function<void(std::vector<std::string>)> after_dashes = nullptr;
};

// Prints "zsupctl: <message>" (plus a hint for kUnreachable) to stderr and
// returns the exit code for the Status's code. `status` must not be OK.
int ReportFailure(const Status& status);

// Prints "zsupctl <command>: <message>" and the --help hint (base/cli_errors.h); returns kExitUsage.
int UsageError(const CLI::App& command, const std::string& message);

}  // namespace zsup::ctl
