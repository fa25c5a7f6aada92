// The state directory: created 0700 (like mkdir -p), locked by the one zsupd
// that owns it, and probed for a running stem.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "broker/fd.h"
#include "broker/status.h"

namespace zsup {

// mkdir -p with `mode` for the directories it creates.
Status MakeDirs(const std::string& path, mode_t mode);

// Creates `dir` (0700) and takes DIR/zsupd.lock for the life of the returned
// descriptor. Refused with "another zsupd (pid N) already uses DIR" when held.
Result<UniqueFd> LockStateDir(const std::string& dir);

// The pid of the stem holding DIR/stem.lock, if one is running.
std::optional<pid_t> RunningStem(const std::string& dir);

}  // namespace zsup
