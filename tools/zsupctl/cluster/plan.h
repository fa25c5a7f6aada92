// A read node.cfg turned into zsup NodeConfigs: ports as ZeekControl's
// make_layout assigns them, each node's full `cluster` table, its
// environment as ZeekControl's start script would set it, and the start
// order zeek#2479 asks for. Pure apart from the `is_local` callback.
//
// Ports: with the ZeroMQ backend ZeekPort and ZeekPort+1 are the manager's
// XPUB/XSUB proxy, then (as with Broker from ZeekPort on) one each for
// ZeekControl's `control` entry, the manager, the loggers, the proxies and
// the workers, in ZeekControl's order; metrics ports from MetricsPort on,
// manager first, none when it is 0.
//
// Stages: loggers and manager 0, proxies 1, workers 2; the manager is
// ready once it accepts connections (ZeroMQ: on the XSUB port; Broker: on
// its own port), so proxies and workers start after it.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "broker/messages.h"
#include "broker/status.h"
#include "tools/zsupctl/cluster/node_cfg.h"

namespace zsup::cluster {

struct PlannedNode {
  NodeConfig config;
  ZeekNode source;     // what node.cfg said, after expansion
  bool local = false;  // its address is one of this machine's
};

struct ClusterPlan {
  std::vector<PlannedNode> nodes;                  // ZeekControl's order
  std::map<std::string, ClusterEndpoint> cluster;  // every node's `cluster` table
  std::optional<uint16_t> control_port;            // ZeekControl's `control` entry
  std::optional<ClusterBackend> backend;

  std::vector<NodeConfig> Configs() const;
};

inline constexpr const char* kDefaultNamespace = "zeek";

// Whether an address belongs to this machine (LocalAddresses() in production).
using IsLocal = std::function<bool(const std::string& addr)>;
bool IsLocalAddress(const std::string& addr);  // getifaddrs(3), plus 127.0.0.0/8 and ::1

Result<ClusterPlan> PlanCluster(const NodeCfg& cfg, const ZeekctlOptions& options,
                                const std::string& name_space = kDefaultNamespace,
                                const IsLocal& is_local = IsLocalAddress);

// ZeekControl's cluster-layout.zeek for the plan (with its control entry);
// for a standalone node, a note that there is none.
Result<std::string> LayoutText(const ClusterPlan& plan);

}  // namespace zsup::cluster
