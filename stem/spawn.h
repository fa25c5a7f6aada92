// fork/exec of one node according to a LaunchPlan.
//
// The child runs only async-signal-safe calls: default signals and an empty
// mask, its own process group, SIGKILL when the stem dies (and _exit if the
// stem is already gone), stdin from /dev/null, stdout/stderr to the pipes or
// files prepared by the parent, chdir, CPU pinning, every descriptor above 2
// marked close-on-exec, execve. Each step that fails writes an 8-byte record
// to the close-on-exec status pipe; EOF without a fatal record means the exec
// succeeded. Files and pipes are opened in the parent, so their errors are
// reported before anything is forked.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "broker/fd.h"
#include "broker/status.h"
#include "stem/launch.h"

namespace zsup {

struct SpawnedNode {
  pid_t pid = -1;
  UniqueFd status;  // read end of the exec status pipe (non-blocking)
  UniqueFd out;     // read end of the stdout pipe, unless stdout goes to a file
  UniqueFd err;     // likewise for stderr
};

// Forks and execs. Errors (files, pipes, fork) mean no process exists.
Result<SpawnedNode> SpawnNode(const LaunchPlan& plan, const std::string& name);

// What the status pipe said once it reached EOF.
struct ExecReport {
  bool exec_ok = true;
  std::optional<std::string> failure;  // "node 'x' failed to exec 'nope': ..."
  std::vector<std::string> warnings;   // non-fatal, e.g. CPU pinning
};

// Reads what is available from the status pipe into *records. Returns the
// report at EOF, nullopt while the child has not exec'd or exited yet.
std::optional<ExecReport> ReadExecStatus(int fd, std::string* records, const LaunchPlan& plan,
                                         const std::string& name);

}  // namespace zsup
