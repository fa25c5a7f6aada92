// How zsupctl finds zsupd. A flag beats an environment variable, an explicit
// endpoint beats a state directory:
//   control: --endpoint, --state-dir, $ZSUP_CONTROL, default state dir
//   events:  --events,   --state-dir, $ZSUP_EVENTS,  default state dir
// where the default state dir is zsupd's own (broker/paths.h: $ZSUP_STATE_DIR,
// $XDG_STATE_HOME/zsup or ~/.local/state/zsup).
#pragma once

#include <string>

#include "broker/status.h"
#include "tools/zsupctl/cli.h"

namespace zsup::ctl {

struct Endpoints {
  std::string control;
  std::string events;
};

Result<Endpoints> ResolveEndpoints(const GlobalOptions& options);

}  // namespace zsup::ctl
