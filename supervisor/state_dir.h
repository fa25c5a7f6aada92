// The state directory: created 0700 (like mkdir -p), locked by the one zsupd
// that owns it, and probed for a running stem.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "broker/fd.h"
#include "broker/status.h"

namespace zsup {

// mkdir -p with `mode` for the directories it creates, which are given to
// `owner` (uid, gid) when set.
Status MakeDirs(const std::string& path, mode_t mode,
                std::optional<std::pair<uid_t, gid_t>> owner = std::nullopt);

// Whoever can write to the state directory, or to a directory above it,
// can replace state.db or reach the sockets of a zsupd that may run nodes
// as root. Creates `dir` (0700) and makes sure only this user can use it:
// - `dir` must belong to this process's effective uid; its mode loses any
//   group/other bits (with a warning in `warnings`), whatever the umask;
// - no directory above it may be writable by others without the sticky
//   bit, or belong to another user than root or this one.
// Refused with a message naming the directory and what is wrong.
// With `group` (--socket-group), `dir` is 0750 and belongs to that group
// instead, so its members can reach the sockets (and nothing else: the
// files in it stay 0600).
Status SecureStateDir(const std::string& dir, std::vector<std::string>* warnings,
                      std::optional<gid_t> group = std::nullopt);

// SecureStateDir(), then takes DIR/zsupd.lock for the life of the returned
// descriptor. Refused with "another zsupd (pid N) already uses DIR" when held.
Result<UniqueFd> LockStateDir(const std::string& dir, std::vector<std::string>* warnings,
                              std::optional<gid_t> group = std::nullopt);

// Sets a socket file zsupd bound to 0600 (ZeroMQ creates it with the
// process's umask), or to 0660 owned by `group`; nothing for endpoints that
// are not ipc://.
Status RestrictIpcSocket(const std::string& endpoint, std::optional<gid_t> group = std::nullopt);

// The pid of the stem holding DIR/stem.lock, if one is running.
std::optional<pid_t> RunningStem(const std::string& dir);

}  // namespace zsup
