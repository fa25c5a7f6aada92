// vfork/exec of one node according to a LaunchPlan.
//
// The child borrows the stem's memory until it execs (vfork: the cost of a
// start does not grow with the stem's size) and runs only async-signal-safe
// calls: default signals and an empty mask, its own process group, SIGKILL when
// the stem dies (and _exit if the stem is already gone), stdin from /dev/null,
// stdout/stderr to pipes (the stem writes what ends in a file), chdir, CPU
// pinning, rlimits, nice, umask, groups, gid, uid and ambient capabilities (v2;
// resolved by PlanLaunch), every descriptor above 2 marked close-on-exec,
// execve. Each step that fails writes a 12-byte record to the close-on-exec
// status pipe; EOF without a fatal record means the exec succeeded. Pipes and
// files are opened and names resolved in the parent, so their errors are
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
  UniqueFd out;     // read end of the stdout pipe
  UniqueFd err;     // read end of the stderr pipe
};

// vforks and execs; the calling thread waits until the exec. Errors (files,
// pipes, vfork) mean no process exists.
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
