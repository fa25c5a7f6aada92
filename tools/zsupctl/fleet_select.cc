#include "tools/zsupctl/fleet_select.h"

#include <fnmatch.h>

namespace zsup::ctl {

std::vector<std::string> HostNodes::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, status] : nodes.nodes) names.push_back(name);
  return names;
}

size_t FleetSelection::NodeCount() const {
  size_t n = 0;
  for (const HostNodes& h : hosts) n += h.nodes.nodes.size();
  return n;
}

bool Matches(const std::string& pattern, const std::string& name) {
  return pattern == name || (IsGlob(pattern) && ::fnmatch(pattern.c_str(), name.c_str(), 0) == 0);
}

Result<FleetSelection> SelectAcross(Fleet& fleet, const Selection& selection) {
  StatusRequest request;
  if (!selection.name_space.empty()) request.name_space = selection.name_space;
  auto replies = fleet.Each([&request](FleetHost& h) { return h.client->GetStatus(request); });
  FleetSelection out;
  std::vector<bool> used(selection.nodes.size(), false);
  size_t down = 0;
  for (size_t i = 0; i < replies.size(); ++i) {
    FleetHost& host = fleet.hosts()[i];
    if (!replies[i].ok()) {
      if (!fleet.multi()) return replies[i].status();  // reported by the caller, as ever
      out.exit = WorseExit(out.exit, ReportHostFailure(host, replies[i].status()));
      ++down;
      continue;
    }
    HostNodes h{&host, {}};
    for (auto& [name, status] : replies[i]->nodes) {
      bool wanted = selection.nodes.empty();
      for (size_t p = 0; p < selection.nodes.size(); ++p) {
        if (Matches(selection.nodes[p], name)) {
          wanted = true;
          used[p] = true;
        }
      }
      if (wanted) h.nodes.nodes.emplace(name, std::move(status));
    }
    out.hosts.push_back(std::move(h));
  }
  if (down == replies.size()) {
    return Status::Unreachable("none of the " + std::to_string(down) + " hosts answered");
  }
  for (size_t p = 0; p < selection.nodes.size(); ++p) {
    if (used[p]) continue;
    const std::string& pattern = selection.nodes[p];
    return Status::Refused((IsGlob(pattern) ? "no node matches '" : "no node named '") + pattern +
                           "' on any host" + (down > 0 ? " that answered" : ""));
  }
  return out;
}

}  // namespace zsup::ctl
