#include "tools/zsupctl/hosts.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "tools/zsupctl/cluster/ini.h"
#include "tools/zsupctl/cluster/plan.h"

namespace zsup::ctl {
namespace {

Status ErrorAt(const std::string& file, int line, const std::string& what) {
  return Status::Error(file + ":" + std::to_string(line) + ": " + what);
}

// `path` against the directory of `file` unless it is absolute.
std::string Beside(const std::string& file, const std::string& path) {
  if (path.empty() || path.starts_with('/') || file == "-") return path;
  return (std::filesystem::path(file).parent_path() / path).lexically_normal().string();
}

bool KnownTransport(const std::string& endpoint) {
  return endpoint.starts_with("tcp://") || endpoint.starts_with("ipc://");
}

std::string ThisHostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}

Result<HostEntry> ParseSection(const cluster::IniSection& section, const std::string& file,
                               const std::string& default_client_key) {
  static const std::set<std::string> kKeys = {"control", "events", "server_key", "client_key"};
  for (const cluster::IniEntry& e : section.entries) {
    if (!kKeys.contains(e.key)) {
      return ErrorAt(file, e.line,
                     "[" + section.name + "]: unknown key '" + e.key +
                         "' (known: control, events, server_key, client_key)");
    }
  }
  HostEntry host;
  host.name = section.name;
  for (const char* key : {"control", "events"}) {
    const cluster::IniEntry* e = section.Find(key);
    if (e == nullptr || e->value.empty()) {
      return ErrorAt(file, section.line,
                     "[" + section.name + "]: '" + key + "' is required (an endpoint such as "
                     "tcp://10.0.0.1:" + (std::string(key) == "control" ? "27760" : "27761") +
                     ")");
    }
    if (!KnownTransport(e->value)) {
      return ErrorAt(file, e->line,
                     "[" + section.name + "]: " + key + " '" + e->value +
                         "' is neither tcp:// nor ipc://");
    }
  }
  host.endpoints.control = section.Find("control")->value;
  host.endpoints.events = section.Find("events")->value;
  const cluster::IniEntry* server = section.Find("server_key");
  const cluster::IniEntry* client = section.Find("client_key");
  const bool tcp = host.endpoints.control.starts_with("tcp://") ||
                   host.endpoints.events.starts_with("tcp://");
  if (server != nullptr && !tcp) {
    return ErrorAt(file, server->line,
                   "[" + section.name + "]: server_key is for tcp endpoints; ipc needs none");
  }
  if (server != nullptr) {
    const std::string secret =
        client != nullptr ? Beside(file, client->value) : default_client_key;
    if (secret.empty()) {
      return ErrorAt(file, server->line,
                     "[" + section.name + "]: CURVE needs this client's secret key: a "
                     "client_key here, or --client-key FILE.secret ($ZSUP_CLIENT_KEY)");
    }
    auto keys = LoadCurveKeys(Beside(file, server->value), secret);
    if (!keys.ok()) return ErrorAt(file, server->line, "[" + section.name + "]: " + keys.error());
    host.endpoints.curve = std::move(*keys);
  } else if (client != nullptr) {
    return ErrorAt(file, client->line,
                   "[" + section.name + "]: client_key without server_key (CURVE needs both)");
  }
  const std::string addr = EndpointHost(host.endpoints.control);
  host.local = host.endpoints.control.starts_with("ipc://") ||
               (!addr.empty() && (cluster::IsLocalAddress(addr) || addr == "localhost")) ||
               section.name == ThisHostName() || cluster::IsLocalAddress(section.name);
  return host;
}

}  // namespace

std::string EndpointHost(const std::string& endpoint) {
  if (!endpoint.starts_with("tcp://")) return "";
  std::string rest = endpoint.substr(6);
  if (rest.starts_with('[')) {
    const size_t close = rest.find(']');
    return close == std::string::npos ? "" : rest.substr(1, close - 1);
  }
  return rest.substr(0, rest.rfind(':'));
}

Result<std::vector<HostEntry>> ParseHostsFile(std::string_view text, const std::string& file,
                                              const std::string& default_client_key) {
  auto sections = cluster::ParseIni(text, file);
  if (!sections.ok()) return sections.status();
  if (sections->empty()) {
    return Status::Error(file + ": no hosts (one [section] per host, with control and events)");
  }
  std::vector<HostEntry> hosts;
  for (const cluster::IniSection& s : *sections) {
    auto host = ParseSection(s, file, default_client_key);
    if (!host.ok()) return host.status();
    hosts.push_back(std::move(*host));
  }
  return hosts;
}

Result<std::vector<HostEntry>> ReadHosts(const GlobalOptions& options) {
  std::string file = options.hosts_file;
  if (file.empty()) {
    const char* env = std::getenv("ZSUP_HOSTS");
    if (env != nullptr) file = env;
  }
  if (file.empty()) {
    if (!options.only_hosts.empty()) return Status::Error("--host needs --hosts FILE");
    return std::vector<HostEntry>{};
  }
  auto text = cluster::ReadTextFile(file, kMaxHostsFileBytes);
  if (!text.ok()) return text.status();
  auto hosts = ParseHostsFile(*text, file, ClientKeyFile(options));
  if (!hosts.ok()) return hosts.status();
  if (options.only_hosts.empty()) return hosts;
  std::vector<HostEntry> chosen;
  for (const std::string& name : options.only_hosts) {
    auto it = std::find_if(hosts->begin(), hosts->end(),
                           [&](const HostEntry& h) { return h.name == name; });
    if (it == hosts->end()) {
      std::string known;
      for (const HostEntry& h : *hosts) known += (known.empty() ? "" : ", ") + h.name;
      return Status::Error("--host " + name + ": " + file + " has no such section (it has " +
                           known + ")");
    }
    if (std::none_of(chosen.begin(), chosen.end(),
                     [&](const HostEntry& h) { return h.name == name; })) {
      chosen.push_back(*it);
    }
  }
  return chosen;
}

}  // namespace zsup::ctl
