#include "tools/zsupctl/endpoints.h"

#include <cstdlib>

#include "broker/paths.h"

namespace zsup::ctl {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

// `flag`, else the state dir's socket, else `env_var`, else the default state dir's socket.
Result<std::string> Resolve(const std::string& flag, const GlobalOptions& o, const char* env_var,
                            std::string (*from_dir)(const std::string&)) {
  if (!flag.empty()) return flag;
  if (!o.state_dir.empty()) return from_dir(o.state_dir);
  if (std::string env = Env(env_var); !env.empty()) return env;
  auto dir = DefaultStateDir();
  if (!dir.ok()) return dir.status();
  return from_dir(*dir);
}

}  // namespace

Result<Endpoints> ResolveEndpoints(const GlobalOptions& options) {
  auto control = Resolve(options.control_endpoint, options, "ZSUP_CONTROL", ControlEndpoint);
  if (!control.ok()) return control.status();
  auto events = Resolve(options.events_endpoint, options, "ZSUP_EVENTS", EventsEndpoint);
  if (!events.ok()) return events.status();
  return Endpoints{*control, *events};
}

}  // namespace zsup::ctl
