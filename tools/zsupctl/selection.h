// Which nodes a zsupctl command acts on: NODE arguments (exact names or
// shell-style globs such as 'worker-*', expanded here against `status`),
// --namespace NS or --all (--wait is waiter.h). Errors are values; nothing here throws.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "broker/messages.h"
#include "broker/status.h"
#include "tools/zsupctl/client.h"

namespace zsup::ctl {

struct Selection {
  std::vector<std::string> nodes;  // names or globs as given
  std::string name_space;
  bool all = false;
};

bool IsGlob(const std::string& pattern);  // has *, ? or [

// Globs replaced by the names they match (sorted, each name once). A glob
// that matches nothing is an error (`no node matches 'w-*'`), as an unknown
// exact name is at zsupd. Asks zsupd for its names only when there is a glob.
Result<std::vector<std::string>> ExpandGlobs(Client& client, const std::vector<std::string>& nodes);

// The selector fields of a request for `s` (after ExpandGlobs): one name as
// `node` (understood by every zsupd), several as `nodes`, a namespace as
// `namespace`, --all as "".
template <typename RequestT>
RequestT SelectorRequest(const Selection& s) {
  RequestT r;
  if (!s.name_space.empty()) {
    r.name_space = s.name_space;
  } else if (s.nodes.size() > 1) {
    r.nodes = s.nodes;
  } else if (!s.nodes.empty()) {
    r.node = s.nodes.front();
  }
  return r;
}

}  // namespace zsup::ctl
