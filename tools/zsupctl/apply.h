// What `apply` and `cluster apply` share: sending the request, and one
// line per node of its ApplyReply ("created w1", "updated w2", "unchanged w3", "destroyed w4";
// with dry_run "would be created w1", but "unchanged w3" all the same).
#pragma once

#include "broker/messages.h"
#include "tools/zsupctl/cli.h"

namespace zsup::ctl {

void PrintApplyReply(const ApplyReply& reply, bool dry_run);

// Sends `request` to the zsupd of `g`, prints the reply as above and
// returns the exit code (ReportFailure's when it fails).
int SendApply(const ApplyRequest& request, const GlobalOptions& g);

}  // namespace zsup::ctl
