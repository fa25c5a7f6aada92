#include "broker/zeek_layout.h"

#include <algorithm>
#include <vector>

#include "broker/validation.h"

namespace zsup {
namespace {

// Zeek's address literal: IPv6 in brackets.
std::string ZeekAddr(const std::string& host) {
  return host.find(':') == std::string::npos ? host : "[" + host + "]";
}

// A Zeek string literal's content: quotes, backslashes and anything not
// printable ASCII escaped.
std::string ZeekString(const std::string& text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string ZeekPort(const Port& p) { return std::to_string(p.port) + "/" + p.proto; }

}  // namespace

Result<std::string> ClusterLayoutScript(const std::map<std::string, ClusterEndpoint>& cluster,
                                        std::optional<uint16_t> control_port) {
  std::vector<std::pair<const std::string*, const ClusterEndpoint*>> entries;
  const std::string* manager = nullptr;
  bool has_logger = false;
  for (const auto& [name, ep] : cluster) {
    if (!IsIpAddressLiteral(ep.host)) {
      return Status::Error("cluster entry '" + name + "': host '" + ep.host +
                           "' is not an IP address (Zeek's layout needs one)");
    }
    if (ep.role == ClusterRole::kManager) {
      if (manager != nullptr) {
        return Status::Error("cluster entries '" + *manager + "' and '" + name +
                             "' are both a MANAGER");
      }
      manager = &name;
    }
    has_logger = has_logger || ep.role == ClusterRole::kLogger;
    entries.emplace_back(&name, &ep);
  }
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    return a.second->p.port < b.second->p.port;
  });
  std::string out = "# Automatically generated. Do not edit.\n";
  out += "redef Cluster::manager_is_logger = ";
  out += has_logger ? "F;\n" : "T;\n";
  out += "redef Cluster::nodes = {\n";
  if (control_port && manager != nullptr) {
    out += "\t[\"control\"] = [$node_type=Cluster::CONTROL, $ip=" +
           ZeekAddr(cluster.at(*manager).host) + ", $p=" + std::to_string(*control_port) +
           "/tcp],\n";
  }
  for (const auto& [name, ep] : entries) {
    out += "\t[\"" + ZeekString(*name) +
           "\"] = [$node_type=Cluster::" + std::string(RoleName(ep->role)) +
           ", $ip=" + ZeekAddr(ep->host) + ", $p=" + ZeekPort(ep->p);
    if (manager != nullptr &&
        (ep->role == ClusterRole::kProxy || ep->role == ClusterRole::kWorker)) {
      out += ", $manager=\"" + ZeekString(*manager) + "\"";
    }
    if (ep->metrics_port) out += ", $metrics_port=" + ZeekPort(*ep->metrics_port);
    out += "],\n";
  }
  out += "};\n";
  return out;
}

std::string ClusterBackendScript(const ClusterBackend& backend, bool ipv6) {
  std::string metrics;
  if (backend.metrics_address) {
    // @ifdef: a Zeek from before Telemetry::metrics_address still starts.
    metrics =
        "@ifdef ( Telemetry::metrics_address )\n"
        "@if ( |Telemetry::metrics_address| == 0 )\n"
        "redef Telemetry::metrics_address = \"" +
        *backend.metrics_address +
        "\";\n"
        "@endif\n"
        "@endif\n\n";
  }
  if (backend.type == "broker") {
    return metrics +
           "# Load Broker's policy scripts if they exist.\n"
           "@if ( can_load(\"policy/frameworks/cluster/backend/broker\") )\n"
           "@load policy/frameworks/cluster/backend/broker\n"
           "@endif\n";
  }
  const std::string xpub = backend.xpub_endpoint.value_or("");
  const std::string xsub = backend.xsub_endpoint.value_or("");
  const std::string zmq = "Cluster::Backend::ZeroMQ::";
  return metrics +
         "# Enable ZeroMQ - the zeromq/connect script was deprecated with 8.1\n"
         "@if ( Version::at_least(\"8.1.0\") )\n"
         "@load policy/frameworks/cluster/backend/zeromq\n"
         "@else\n"
         "@load policy/frameworks/cluster/backend/zeromq/connect\n"
         "@endif\n"
         "\n"
         "redef " +
         zmq + "listen_xpub_endpoint = \"" + xpub + "\";\n" + "redef " + zmq +
         "listen_xsub_endpoint = \"" + xsub + "\";\n" + "redef " + zmq +
         "connect_xpub_endpoint = \"" + xsub + "\";\n" + "redef " + zmq +
         "connect_xsub_endpoint = \"" + xpub + "\";\n" +
         "\n"
         "redef " +
         zmq + "ipv6 = " + (ipv6 ? "T" : "F") + ";\n";
}

Result<std::string> NodeLayoutScript(const NodeConfig& config) {
  auto layout = ClusterLayoutScript(config.cluster);
  if (!layout.ok()) return layout.status().Prefixed("node '" + config.name + "'");
  std::string out = "# The cluster layout of node '" + ZeekString(config.name) +
                    "', written by zsup from its NodeConfig.\n" + *layout;
  const bool ipv6 = std::any_of(config.cluster.begin(), config.cluster.end(), [](const auto& e) {
    return e.second.host.find(':') != std::string::npos;
  });
  if (config.cluster_backend) out += "\n" + ClusterBackendScript(*config.cluster_backend, ipv6);
  return out;
}

}  // namespace zsup
