// Which nodes of which host a zsupctl command acts on when it talks to
// several zsupd (--hosts): every host's status, asked in parallel, matched
// against the selection client-side (names, globs, --namespace, --all).
// A host that does not answer is reported on stderr and counted in `exit`;
// the others go on.
#pragma once

#include <vector>

#include "broker/messages.h"
#include "broker/status.h"
#include "tools/zsupctl/fleet.h"
#include "tools/zsupctl/selection.h"

namespace zsup::ctl {

struct HostNodes {
  FleetHost* host = nullptr;
  StatusReport nodes;  // the selected nodes of that host (possibly none)

  // Their names, for a request's `nodes`.
  std::vector<std::string> Names() const;
};

struct FleetSelection {
  std::vector<HostNodes> hosts;  // the hosts that answered, in fleet order
  int exit = kExitOk;            // the worst failure of the others (already reported)

  size_t NodeCount() const;
};

// Whether `name` is `pattern` or matches it as a shell-style glob.
bool Matches(const std::string& pattern, const std::string& name);

// An error when a name or glob of `selection` matches no node on any host
// that answered (Refused, saying so when some did not answer), or when no
// host answered at all (Unreachable).
Result<FleetSelection> SelectAcross(Fleet& fleet, const Selection& selection);

}  // namespace zsup::ctl
