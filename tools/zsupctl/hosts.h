// zsupctl --hosts FILE: several zsupd, one per host, as one fleet.
//
// FILE is INI (the dialect node.cfg uses, cluster/ini.h), one section per
// host, named as node.cfg's `host=` names it (a name or an address):
//
//   [manager.example.net]
//   control    = tcp://10.0.0.1:27760
//   events     = tcp://10.0.0.1:27761
//   server_key = keys/manager.key      ; that zsupd's DIR/curve/server.key
//   client_key = ops.secret            ; optional: default --client-key
//
// `control` and `events` are required; `server_key` is required for a tcp
// endpoint unless that zsupd runs --insecure-tcp (then leave it out); an
// ipc endpoint (this machine) never uses keys. Relative key paths are read
// against FILE's directory. Unknown keys are errors (a typo would silently
// disable CURVE otherwise). Errors read "FILE:LINE: what". Pure apart from
// reading the key files.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "broker/status.h"
#include "tools/zsupctl/cli.h"
#include "tools/zsupctl/endpoints.h"

namespace zsup::ctl {

struct HostEntry {
  std::string name;  // the section's name
  Endpoints endpoints;
  bool local = false;  // its control endpoint is ipc or on one of this machine's addresses
};

// A hosts file larger than this is refused (a section is ~200 bytes).
inline constexpr size_t kMaxHostsFileBytes = 1 << 20;

// The sections of `text` (read from `file`), in file order. `default_client_key`
// is the .secret file for sections without `client_key` ("" for none).
Result<std::vector<HostEntry>> ParseHostsFile(std::string_view text, const std::string& file,
                                              const std::string& default_client_key);

// --hosts (else $ZSUP_HOSTS) read and parsed, then narrowed to --host
// (each must name a section). An empty vector when neither is given.
Result<std::vector<HostEntry>> ReadHosts(const GlobalOptions& options);

// The host part of "tcp://HOST:PORT" ("" for other transports), brackets
// of an IPv6 address removed.
std::string EndpointHost(const std::string& endpoint);

}  // namespace zsup::ctl
