// How zsupctl finds zsupd. A flag beats an environment variable, an explicit
// endpoint beats a state directory:
//   control: --endpoint, --state-dir, $ZSUP_CONTROL, default state dir
//   events:  --events,   --state-dir, $ZSUP_EVENTS,  default state dir
//   CURVE keys: --server-key and --client-key, else $ZSUP_SERVER_KEY and
//   $ZSUP_CLIENT_KEY (files; both or neither)
// where the default state dir is zsupd's own (broker/paths.h: $ZSUP_STATE_DIR,
// $XDG_STATE_HOME/zsup or ~/.local/state/zsup).
#pragma once

#include <string>

#include <optional>

#include "broker/status.h"
#include "client/client.h"
#include "tools/zsupctl/cli.h"

namespace zsup::ctl {

struct Endpoints {
  std::string control;
  std::string events;
  std::optional<client::CurveKeys> curve;  // set: talk CURVE
  // The state directory the control socket was found through; "" when it
  // was given as an endpoint (--endpoint, $ZSUP_CONTROL, a hosts file).
  std::string state_dir;
};

Result<Endpoints> ResolveEndpoints(const GlobalOptions& options);

// Status::Unreachable at once when the control endpoint is an ipc socket
// that does not exist (nor its directory): nothing can answer there, and
// waiting --timeout would only hide that. "no zsupd at DIR
// (ipc://DIR/control.sock does not exist); start one with 'zsupd
// --state-dir DIR'". OK for tcp and for a socket that is there.
Status CheckSocketExists(const Endpoints& endpoints);

// The CURVE keys from zsupd's public key file `server` and this client's
// secret key file `secret` (its public half derived from it): none when
// both are "", an error when only one is given or a file is unreadable.
Result<std::optional<client::CurveKeys>> LoadCurveKeys(const std::string& server,
                                                      const std::string& secret);

// --client-key, else $ZSUP_CLIENT_KEY, else "".
std::string ClientKeyFile(const GlobalOptions& options);

// zsupd's state directory, made absolute as zsupd makes its --state-dir,
// when the control endpoint is found through it (endpoints.h's order;
// --state-dir is believed even beside --endpoint). nullopt when only an
// endpoint is known: then where zsupd's relative paths point is not.
std::optional<std::string> ZsupdStateDir(const GlobalOptions& options);

}  // namespace zsup::ctl
