// Where zsupd keeps its state and listens, shared by zsupd and its clients.
#pragma once

#include <optional>
#include <string>

#include "broker/status.h"

namespace zsup {

// $ZSUP_STATE_DIR if set; else $XDG_STATE_HOME/zsup, else $HOME/.local/state/zsup.
// (A runtime directory would not survive a reboot, and the desired state must.)
Result<std::string> DefaultStateDir();

std::string ControlEndpoint(const std::string& state_dir);  // ipc://DIR/control.sock
std::string EventsEndpoint(const std::string& state_dir);   // ipc://DIR/events.sock
std::string BatchesEndpoint(const std::string& state_dir);  // ipc://DIR/batches.sock
std::string StemEndpoint(const std::string& state_dir);     // ipc://DIR/stem.sock

// Where a node's `directory` is: a relative one resolves against the
// (absolute) state directory. Unset stays unset.
std::optional<std::string> NodeDirectory(const std::string& state_dir,
                                         const std::optional<std::string>& directory);
// Where a node's stdout_file / stderr_file is: a relative path resolves
// inside its directory, or against the state directory without one.
std::string NodeFilePath(const std::string& state_dir, const std::optional<std::string>& directory,
                         const std::string& file);

// The longest state directory whose ipc socket paths fit in sun_path.
inline constexpr size_t kMaxStateDirForIpc = 90;

}  // namespace zsup
