// node.cfg as ZeekControl interprets it (config.py and its lb plugins):
// every section a node, `lb_procs` workers expanded into NAME-1..NAME-N,
// hosts resolved, env_vars merged with zeekctl.cfg's, the interface and
// environment rewrites of the lb_custom, lb_myricom, lb_pf_ring and
// af_packet plugins applied, and the nodes in ZeekControl's order (by type:
// standalone, logger, manager, proxy, worker; then file order).
//
// Errors: ZeekControl's message for the same problem, prefixed with
// "FILE:LINE: " (the line of the key at fault, else of the section); the
// first problem found, as ZeekControl reports it. Warnings (an unknown key,
// which ZeekControl ignores too) are returned beside the nodes.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "broker/status.h"
#include "tools/zsupctl/cluster/zeekctl_cfg.h"

namespace zsup::cluster {

enum class ZeekNodeType { kStandalone, kLogger, kManager, kProxy, kWorker };
const char* TypeName(ZeekNodeType type);  // "worker", ...

struct ZeekNode {
  std::string name;  // after expansion
  ZeekNodeType type = ZeekNodeType::kWorker;
  std::string host;       // as written
  std::string addr;       // `host` resolved: its first IPv4 address, else its first
  std::string interface;  // "" when none (a worker without one is valid)
  std::optional<int> pin_cpu;
  std::map<std::string, std::string> env_vars;  // as written: ZeekControl's shell removes quotes
  std::vector<std::string> aux_scripts;
  int count = 0;  // its position among the nodes of its type, from 1
  int line = 0;   // of its [section]
};

struct NodeCfg {
  std::vector<ZeekNode> nodes;  // in ZeekControl's order
  bool standalone = false;      // one node, of type standalone
  std::vector<std::string> warnings;

  const ZeekNode* Manager() const;  // the manager, or the standalone node
};

// Resolves a host name to IP address literals (getaddrinfo in production).
using Resolver = std::function<Result<std::vector<std::string>>(const std::string& host)>;
Result<std::vector<std::string>> ResolveHost(const std::string& host);

Result<NodeCfg> ReadNodeCfg(const std::string& text, const std::string& file,
                            const ZeekctlOptions& options, const Resolver& resolve = ResolveHost);

}  // namespace zsup::cluster
