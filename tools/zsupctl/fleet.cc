#include "tools/zsupctl/fleet.h"

#include <unistd.h>

#include <iostream>

namespace zsup::ctl {
namespace {

std::string LocalName() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

// `options` without its hosts file: how this machine's zsupd is found.
GlobalOptions WithoutHosts(const GlobalOptions& options) {
  GlobalOptions single = options;
  single.hosts_file.clear();
  single.only_hosts.clear();
  return single;
}

Result<FleetHost> LocalHost(const GlobalOptions& options) {
  GlobalOptions single = WithoutHosts(options);
  auto endpoints = ResolveEndpoints(single);
  if (!endpoints.ok()) return endpoints.status();
  auto client = Connect(single, std::move(*endpoints));
  return FleetHost{LocalName(), std::move(client), true};
}

}  // namespace

Result<Fleet> Fleet::Open(const GlobalOptions& options) {
  Fleet fleet;
  auto entries = ReadHosts(options);
  if (!entries.ok()) return entries.status();
  if (entries->empty()) {
    auto client = Connect(options);
    if (!client.ok()) return client.status();
    fleet.hosts_.push_back({"", std::move(*client), true});
    return fleet;
  }
  fleet.multi_ = true;
  bool any_local = false;
  for (HostEntry& e : *entries) {
    any_local = any_local || e.local;
    fleet.hosts_.push_back({e.name, Connect(options, std::move(e.endpoints)), e.local});
  }
  // This machine's zsupd, when the file leaves it out and it is there.
  if (!any_local && options.only_hosts.empty()) {
    auto local = LocalHost(options);
    if (local.ok()) {
      const Endpoints& endpoints = local->client->endpoints();
      if (endpoints.control.starts_with("ipc://") && CheckSocketExists(endpoints).ok()) {
        fleet.hosts_.push_back(std::move(*local));
      }
    }
  }
  return fleet;
}

Result<FleetHost*> Fleet::Local(const GlobalOptions& options) {
  for (FleetHost& h : hosts_) {
    if (h.local) return &h;
  }
  auto local = LocalHost(options);
  if (!local.ok()) return local.status();
  hosts_.push_back(std::move(*local));
  return &hosts_.back();
}

FleetHost* Fleet::Find(const std::string& name) {
  for (FleetHost& h : hosts_) {
    if (h.name == name) return &h;
  }
  return nullptr;
}

std::string HostPrefix(const FleetHost& host) {
  return host.name.empty() ? "" : "host " + host.name + ": ";
}

int ReportHostFailure(const FleetHost& host, const Status& status) {
  if (host.name.empty()) return ReportFailure(status);
  std::cerr << "zsupctl: " << HostPrefix(host) << status.message() << "\n";
  return status.code() == Status::Code::kUnreachable ? kExitUnreachable : kExitRefused;
}

int WorseExit(int a, int b) {
  if (a == kExitOk) return b;
  if (b == kExitOk) return a;
  return a == kExitUnreachable || b == kExitUnreachable ? static_cast<int>(kExitUnreachable) : a;
}

}  // namespace zsup::ctl
