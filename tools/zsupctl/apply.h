// What `apply` and `cluster apply` share: sending the request, and one
// line per node of its ApplyReply ("created w1", "updated w2", "unchanged w3", "destroyed w4";
// with dry_run "would be created w1", but "unchanged w3" all the same).
#pragma once

#include <vector>

#include "broker/messages.h"
#include "tools/zsupctl/cli.h"
#include "tools/zsupctl/fleet.h"

namespace zsup::ctl {

// `prefix` starts each line ("alpha: " with --hosts).
void PrintApplyReply(const ApplyReply& reply, bool dry_run, const std::string& prefix = "");

// One apply per host, for --hosts.
struct HostApply {
  FleetHost* host;
  ApplyRequest request;
};

// Sends them all at once, prints each reply with its host's name, reports
// each host that fails; returns the worst of `exit` and theirs. Not atomic
// across hosts: each host's apply is its own transaction.
int SendApplies(std::vector<HostApply>& work, int exit);

// Sends `request` to the zsupd of `g`, prints the reply as above and
// returns the exit code (ReportFailure's when it fails).
int SendApply(const ApplyRequest& request, const GlobalOptions& g);

}  // namespace zsup::ctl
