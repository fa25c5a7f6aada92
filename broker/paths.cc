#include "broker/paths.h"

#include <cstdlib>

namespace zsup {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

}  // namespace

Result<std::string> DefaultStateDir() {
  if (std::string dir = Env("ZSUP_STATE_DIR"); !dir.empty()) return dir;
  if (std::string xdg = Env("XDG_STATE_HOME"); !xdg.empty()) return xdg + "/zsup";
  if (std::string home = Env("HOME"); !home.empty()) return home + "/.local/state/zsup";
  return Status::Error("no state directory: set --state-dir, ZSUP_STATE_DIR or HOME");
}

std::string ControlEndpoint(const std::string& state_dir) {
  return "ipc://" + state_dir + "/control.sock";
}
std::string EventsEndpoint(const std::string& state_dir) {
  return "ipc://" + state_dir + "/events.sock";
}
std::string StemEndpoint(const std::string& state_dir) { return "ipc://" + state_dir + "/stem.sock"; }

}  // namespace zsup
