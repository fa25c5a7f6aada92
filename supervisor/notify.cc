#include "supervisor/notify.h"

#include <systemd/sd-daemon.h>
#include <unistd.h>

namespace zsup {

void NotifyReady(int ready_fd) {
  if (ready_fd >= 0) {
    static constexpr char kReady[] = "READY=1\n";
    ssize_t ignored = ::write(ready_fd, kReady, sizeof kReady - 1);
    (void)ignored;
    ::close(ready_fd);
  }
  sd_notify(0, "READY=1");
}

void NotifyStopping() { sd_notify(0, "STOPPING=1"); }

}  // namespace zsup
