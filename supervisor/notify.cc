#include "supervisor/notify.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

#include "broker/log.h"

namespace zsup {
namespace {

// sd_notify(3) from libsystemd, loaded for the call only: zsupd notifies
// twice in its life (READY=1, STOPPING=1), and libsystemd with what it
// pulls in (libgcrypt, compressors) would otherwise stay mapped, about
// 0.8 MiB of zsupd's memory for two datagrams.
void SdNotify(const char* state) {
  if (::getenv("NOTIFY_SOCKET") == nullptr) return;  // not under systemd's Type=notify
  void* lib = ::dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* why = ::dlerror();
    LogWarning(std::string("NOTIFY_SOCKET is set but libsystemd.so.0 cannot be loaded (") +
               (why != nullptr ? why : "?") + "): systemd is not told " + state +
               " (install libsystemd0)");
    return;
  }
  using Notify = int (*)(int unset_environment, const char* state);
  if (auto notify = reinterpret_cast<Notify>(::dlsym(lib, "sd_notify")); notify != nullptr) {
    if (int rc = notify(0, state); rc < 0) {
      LogWarning(std::string("sd_notify ") + state + " failed: error " + std::to_string(-rc));
    }
  }
  ::dlclose(lib);
}

}  // namespace

void NotifyReady(int ready_fd) {
  if (ready_fd >= 0) {
    static constexpr char kReady[] = "READY=1\n";
    ssize_t ignored = ::write(ready_fd, kReady, sizeof kReady - 1);
    (void)ignored;
    ::close(ready_fd);
  }
  SdNotify("READY=1");
}

void NotifyStopping() { SdNotify("STOPPING=1"); }

}  // namespace zsup
