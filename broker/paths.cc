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
std::string BatchesEndpoint(const std::string& state_dir) {
  return "ipc://" + state_dir + "/batches.sock";
}
std::string StemEndpoint(const std::string& state_dir) { return "ipc://" + state_dir + "/stem.sock"; }

std::optional<std::string> NodeDirectory(const std::string& state_dir,
                                         const std::optional<std::string>& directory) {
  if (!directory || directory->starts_with('/')) return directory;
  return state_dir + "/" + *directory;
}

std::string NodeFilePath(const std::string& state_dir, const std::optional<std::string>& directory,
                         const std::string& file) {
  if (file.starts_with('/')) return file;
  if (auto dir = NodeDirectory(state_dir, directory)) return *dir + "/" + file;
  return state_dir + "/" + file;
}

}  // namespace zsup
