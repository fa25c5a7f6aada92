#include "tools/zsupctl/selection.h"

#include <fnmatch.h>

#include <set>
#include <utility>

namespace zsup::ctl {

bool IsGlob(const std::string& pattern) {
  return pattern.find_first_of("*?[") != std::string::npos;
}

Result<std::vector<std::string>> ExpandGlobs(Client& client,
                                             const std::vector<std::string>& nodes) {
  bool any = false;
  for (const std::string& n : nodes) any = any || IsGlob(n);
  if (!any) return nodes;
  auto report = client.GetStatus("");
  if (!report.ok()) return report.status();
  std::set<std::string> seen;
  std::vector<std::string> out;
  for (const std::string& pattern : nodes) {
    // A name may itself hold *, ? or [: an exact name is taken as it is.
    if (!IsGlob(pattern) || report->nodes.contains(pattern)) {
      if (seen.insert(pattern).second) out.push_back(pattern);
      continue;
    }
    bool matched = false;
    for (const auto& [name, status] : report->nodes) {
      if (::fnmatch(pattern.c_str(), name.c_str(), 0) != 0) continue;
      matched = true;
      if (seen.insert(name).second) out.push_back(name);
    }
    if (!matched) return Status::Refused("no node matches '" + pattern + "'");
  }
  return out;
}

}  // namespace zsup::ctl
