// Signals as a file descriptor (signalfd), so they are handled in the loop.
//
// BlockSignals() must run in main() before any thread exists (the ZeroMQ
// context starts I/O threads): the signals stay blocked in every thread and
// only the signalfd sees them. Children must undo this between fork and exec
// with ResetSignalsForChild(), which is async-signal-safe.
#pragma once

#include <signal.h>

#include <initializer_list>
#include <optional>
#include <string_view>
#include <vector>

#include "broker/fd.h"
#include "broker/status.h"

namespace zsup {

// Blocks `signals` and returns a non-blocking, close-on-exec signalfd for
// them. Also ignores SIGPIPE (writes to closed pipes fail with EPIPE).
Result<UniqueFd> BlockSignals(std::initializer_list<int> signals);

// Reads every pending signal number from the signalfd (non-blocking).
std::vector<int> ReadSignals(int signal_fd);

// A signal by its name without "SIG" ("TERM", "INT", "USR1", ...), as
// glibc's sigabbrev_np() names them; nullopt for anything else.
std::optional<int> SignalNumber(std::string_view name);

// Async-signal-safe: empty signal mask, default dispositions for every
// signal zsup changes. For use in a child between fork and exec.
void ResetSignalsForChild();

}  // namespace zsup
