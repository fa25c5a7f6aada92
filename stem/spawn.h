// vfork-style start of one node according to a LaunchPlan.
//
// clone(CLONE_VM | CLONE_VFORK | CLONE_FILES): the child borrows the stem's
// memory and descriptor table until it execs, so the cost of a start grows
// neither with the stem's memory nor with its descriptors (two pipe ends per
// node). The child first takes a private copy of the few low descriptors
// reserved for it (ReserveSpawnSlots; close_range(CLOSE_RANGE_UNSHARE)),
// then runs only async-signal-safe calls: default signals and an empty
// mask, its own process group, SIGKILL when the stem dies (and _exit if the
// stem is already gone), stdin from /dev/null, stdout/stderr to pipes (the
// stem writes what ends in a file), chdir, CPU pinning, rlimits, nice,
// umask, groups, gid, uid and ambient capabilities (v2; resolved by
// PlanLaunch), every descriptor above 2 marked close-on-exec, execve. Each
// step that fails writes a 12-byte record to the close-on-exec status pipe;
// EOF without a fatal record means the exec succeeded. Pipes and files are
// opened and names resolved in the parent, so their errors are reported
// before anything is started.
//
// Threads: SpawnNode is called from one thread only (the stem's loop); other
// threads may open and close their own descriptors meanwhile.
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

// Reserves, once per process, four low descriptors (on /dev/null) through
// which SpawnNode hands a child its streams, and the child's stack. Call it
// first thing in main, while descriptor numbers are small: the child copies
// every descriptor below the highest slot. Without it, the first SpawnNode
// reserves them. Errors: no descriptor left (EMFILE) or no memory.
Status ReserveSpawnSlots();

// Starts the node; the calling thread waits until the exec. Errors (files,
// pipes, slots, clone) mean no process exists.
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
