// The Zeek scripts that make a stock Zeek binary join a cluster described by
// a NodeConfig's `cluster` table, in the form ZeekControl's `install` writes
// them (cluster-layout.zeek and the backend part of zeekctl-config.zeek).
// Pure functions; used by the stem (a Zeek-mode node's layout script) and by
// `zsupctl cluster layout`.
//
// Errors: a `host` that is not an IP address literal (Zeek's `addr`) or a
// table with several managers is refused with a message naming the entry.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "broker/messages.h"
#include "broker/status.h"

namespace zsup {

// cluster-layout.zeek: `Cluster::manager_is_logger` (T without a LOGGER) and
// `Cluster::nodes`, its entries in ZeekControl's order (by port, which
// make_layout hands out in that order, then name), `$manager` on proxies and
// workers, `$metrics_port` where set. With `control_port`, ZeekControl's
// `control` entry first, on the manager's address.
Result<std::string> ClusterLayoutScript(const std::map<std::string, ClusterEndpoint>& cluster,
                                        std::optional<uint16_t> control_port = std::nullopt);

// What ZeekControl's cluster backend plugin adds for `backend`: the @load of
// the backend's policy script and, for ZeroMQ, the proxy endpoints (listen
// on the manager, connect cross-wired) and the ipv6 switch (`ipv6`: some
// node of the cluster has an IPv6 address); plus the metrics address.
std::string ClusterBackendScript(const ClusterBackend& backend, bool ipv6);

// The whole script for a Zeek-mode cluster node: a header naming the node,
// ClusterLayoutScript(config.cluster) and, when set, the backend part.
Result<std::string> NodeLayoutScript(const NodeConfig& config);

}  // namespace zsup
