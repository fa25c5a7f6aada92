// zeekctl.cfg, the options ZeekControl's node layout depends on. The syntax
// is ZeekControl's own (not INI): one `Key = Value` per line, keys
// case-insensitive, spaces around both stripped, `#` starts a full-line
// comment, a later line overrides an earlier one. Options zsup has no use
// for are accepted and ignored (a real zeekctl.cfg sets dozens). Defaults
// are ZeekControl's, `${Option}` in a default expanded as it does.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "broker/status.h"

namespace zsup::cluster {

struct ZeekctlOptions {
  int zeek_port = 27760;                           // ZeekPort: the first port make_layout hands out
  int metrics_port = 9991;                         // MetricsPort (0: no metrics ports)
  std::string metrics_address = "127.0.0.1";       // MetricsAddress ("": Zeek's default)
  std::string cluster_backend = "ZeroMQ";          // ClusterBackend: "ZeroMQ" or "Broker"
  std::string zeek_base = "/usr/local/zeek";       // ZeekBase (ZeekControl's install prefix)
  std::string spool_dir;                           // SpoolDir: ${ZeekBase}/spool unless set
  std::vector<std::string> zeek_args;              // ZeekArgs, split as a shell splits it
  std::string site_policy_scripts = "local.zeek";  // SitePolicyScripts
  std::map<std::string, std::string> env_vars;     // env_vars, parsed (ParseEnvVars)
  int pfring_cluster_id = 21;                      // PFRINGClusterID (0: the pf_ring plugin is off)
  std::string pfring_cluster_type = "4-tuple";
  int pfring_first_app_instance = 0;
  std::string lb_custom_prefix;  // lb_custom.InterfacePrefix
  std::string lb_custom_suffix;  // lb_custom.InterfaceSuffix

  bool zeromq() const;  // ClusterBackend compared case-insensitively
};

// Errors read "FILE:LINE: what".
Result<ZeekctlOptions> ParseZeekctlCfg(const std::string& text, const std::string& file);

// ZeekControl's defaults (as when no zeekctl.cfg is given).
ZeekctlOptions DefaultZeekctlOptions();

// ZeekControl's env_vars syntax: `K=V` items separated by commas, both
// sides stripped, no escaping. `context` prefixes errors ("node 'w1' config").
Result<std::map<std::string, std::string>> ParseEnvVars(const std::string& text,
                                                        const std::string& context);

// What ZeekControl's start script makes of a value (its shell's quote
// removal): '...' and "..." lose their quotes, a backslash outside single
// quotes escapes the next character. Unlike the shell, `$` is not expanded.
std::string RemoveShellQuotes(const std::string& value);

// `text` split into words as a shell splits a command line (blanks outside
// quotes separate words, quotes removed as above, `#` at a word's start
// begins a comment), no expansion. Errors on an unterminated quote and on
// shell syntax outside quotes (; | & < > ` $ ( )), which would need a shell.
Result<std::vector<std::string>> ShellWords(const std::string& text);

}  // namespace zsup::cluster
