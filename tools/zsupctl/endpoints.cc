#include "tools/zsupctl/endpoints.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string_view>

#include "broker/curve.h"
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

Result<std::optional<client::CurveKeys>> LoadCurveKeys(const std::string& server,
                                                      const std::string& secret) {
  if (server.empty() && secret.empty()) return std::optional<client::CurveKeys>();
  if (server.empty() || secret.empty()) {
    return Status::Error(std::string("CURVE needs both keys: ") +
                         (server.empty() ? "--server-key FILE (zsupd's DIR/curve/server.key)"
                                         : "--client-key FILE.secret (from zsupctl keygen)"));
  }
  auto server_key = ReadKeyFile(server);
  if (!server_key.ok()) return server_key.status();
  auto secret_key = ReadKeyFile(secret);
  if (!secret_key.ok()) return secret_key.status();
  auto public_key = CurvePublicFromSecret(*secret_key);
  if (!public_key.ok()) return public_key.status().Prefixed(secret);
  return std::optional<client::CurveKeys>(client::CurveKeys{*server_key, *public_key, *secret_key});
}

std::string ClientKeyFile(const GlobalOptions& o) {
  return !o.client_key_file.empty() ? o.client_key_file : Env("ZSUP_CLIENT_KEY");
}

Result<Endpoints> ResolveEndpoints(const GlobalOptions& options) {
  auto control = Resolve(options.control_endpoint, options, "ZSUP_CONTROL", ControlEndpoint);
  if (!control.ok()) return control.status();
  auto events = Resolve(options.events_endpoint, options, "ZSUP_EVENTS", EventsEndpoint);
  if (!events.ok()) return events.status();
  const std::string server =
      !options.server_key_file.empty() ? options.server_key_file : Env("ZSUP_SERVER_KEY");
  auto curve = LoadCurveKeys(server, ClientKeyFile(options));
  if (!curve.ok()) return curve.status();
  Endpoints endpoints{*control, *events, std::move(*curve), ""};
  if (options.control_endpoint.empty() &&
      (!options.state_dir.empty() || Env("ZSUP_CONTROL").empty())) {
    // Found through a state directory: --state-dir, else the default one.
    if (!options.state_dir.empty()) {
      endpoints.state_dir = options.state_dir;
    } else if (auto dir = DefaultStateDir(); dir.ok()) {
      endpoints.state_dir = *dir;
    }
  }
  return endpoints;
}

Status CheckSocketExists(const Endpoints& endpoints) {
  constexpr std::string_view kIpc = "ipc://";
  const std::string& control = endpoints.control;
  if (!control.starts_with(kIpc)) return Status::Ok();
  const std::string path = control.substr(kIpc.size());
  // Abstract sockets (@name) are not files; a socket this user may not
  // look at (EACCES: a 0700 state dir) may well have a zsupd behind it.
  if (path.starts_with('@') || ::access(path.c_str(), F_OK) == 0) return Status::Ok();
  if (errno != ENOENT && errno != ENOTDIR) return Status::Ok();
  if (!endpoints.state_dir.empty()) {
    return Status::Unreachable("no zsupd at " + endpoints.state_dir + " (" + control +
                               " does not exist); start one with 'zsupd --state-dir " +
                               endpoints.state_dir + "'");
  }
  return Status::Unreachable("no zsupd at " + control + " (" + path +
                             " does not exist); start one with 'zsupd --control " + control + "'");
}

std::optional<std::string> ZsupdStateDir(const GlobalOptions& g) {
  std::string dir = g.state_dir;
  if (dir.empty()) {
    const char* control = std::getenv("ZSUP_CONTROL");
    if (!g.control_endpoint.empty() || (control != nullptr && *control != '\0')) {
      return std::nullopt;
    }
    auto fallback = DefaultStateDir();
    if (!fallback.ok()) return std::nullopt;
    dir = *fallback;
  }
  if (dir.starts_with('/')) return dir;
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(dir, ec);
  if (ec) return std::nullopt;
  return absolute.lexically_normal().string();
}

}  // namespace zsup::ctl
