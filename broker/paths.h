// Where zsupd keeps its state and listens, shared by zsupd and its clients.
#pragma once

#include <string>

#include "broker/status.h"

namespace zsup {

// $ZSUP_STATE_DIR if set; else $XDG_STATE_HOME/zsup, else $HOME/.local/state/zsup.
// (A runtime directory would not survive a reboot, and the desired state must.)
Result<std::string> DefaultStateDir();

std::string ControlEndpoint(const std::string& state_dir);  // ipc://DIR/control.sock
std::string EventsEndpoint(const std::string& state_dir);   // ipc://DIR/events.sock
std::string StemEndpoint(const std::string& state_dir);     // ipc://DIR/stem.sock

// The longest state directory whose ipc socket paths fit in sun_path.
inline constexpr size_t kMaxStateDirForIpc = 90;

}  // namespace zsup
