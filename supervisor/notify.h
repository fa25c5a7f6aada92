// Telling whoever started zsupd that it is ready (and when it stops):
// `--ready-fd N` gets "READY=1\n" and is closed; under systemd
// (NOTIFY_SOCKET set, Type=notify) sd_notify(3) is sent as well, from a
// libsystemd loaded for the call (a warning in the log if it cannot be).
#pragma once

namespace zsup {

void NotifyReady(int ready_fd);
void NotifyStopping();

}  // namespace zsup
