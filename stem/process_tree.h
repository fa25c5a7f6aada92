// Which processes descend from which, read from /proc: what the stem needs
// to stop every process a node started, including those that left its
// process group or session (setsid). Reads /proc/<pid>/task/*/children
// (CONFIG_PROC_CHILDREN), or scans every /proc/<pid>/stat where the kernel
// lacks those files. A snapshot: processes may come and go meanwhile, so
// callers signal what they find and look again at the next deadline.
#pragma once

#include <sys/types.h>

#include <vector>

namespace zsup {

// The parent of `pid` (0 when it is gone or unreadable).
pid_t ParentOf(pid_t pid);

// The children of `pid` (of all its threads).
std::vector<pid_t> ChildrenOf(pid_t pid);

// Every descendant of `root`, nearest first; `root` itself is not included.
std::vector<pid_t> DescendantsOf(pid_t root);

// Sends `signal` to every descendant of `root` that is not in `root`'s
// process group (the caller signals the group itself, and a second SIGTERM
// may mean "now" to the program). Returns how many were signalled.
int SignalDescendantsOutsideGroup(pid_t root, int signal);

}  // namespace zsup
