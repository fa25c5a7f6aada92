#include "broker/json.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "broker/codec.h"
#include "broker/msgpack_reader.h"

namespace zsup {
namespace {

using ordered_json = nlohmann::ordered_json;

ordered_json PortJson(const Port& port) { return {{"port", port.port}, {"proto", port.proto}}; }

ordered_json EndpointJson(const ClusterEndpoint& ep) {
  ordered_json j;
  j["role"] = "Supervisor::" + std::string(RoleName(ep.role));
  j["host"] = ep.host;
  j["p"] = PortJson(ep.p);
  if (ep.interface) j["interface"] = *ep.interface;
  if (ep.pcap_file) j["pcap_file"] = *ep.pcap_file;
  if (ep.metrics_port) j["metrics_port"] = PortJson(*ep.metrics_port);
  return j;
}

// Reuses the msgpack decoder so both forms share one set of rules: JSON and
// msgpack have the same data model for everything a NodeConfig holds.
Result<NodeConfig> FromJsonValue(const nlohmann::json& j, const std::string& path) {
  std::vector<uint8_t> bytes = nlohmann::json::to_msgpack(j);
  auto handle = mp::Unpack(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  if (!handle.ok()) return handle.status();
  return ReadNodeConfig(handle->get(), path);
}

Result<nlohmann::json> Parse(std::string_view text) {
  // The parser is iterative but the conversion to msgpack recurses, so
  // refuse deep nesting here (a NodeConfig list needs 5 levels).
  bool too_deep = false;
  auto limit_depth = [&too_deep](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    if (depth > static_cast<int>(mp::kMaxDepth)) too_deep = true;
    return !too_deep;
  };
  nlohmann::json j = nlohmann::json::parse(text, limit_depth, /*allow_exceptions=*/false);
  if (too_deep) return Status::Error("JSON nested deeper than " + std::to_string(mp::kMaxDepth));
  if (j.is_discarded()) return Status::Error("not valid JSON");
  return j;
}

}  // namespace

std::string NodeConfigToJson(const NodeConfig& c) {
  ordered_json j;
  j["name"] = c.name;
  if (c.interface) j["interface"] = *c.interface;
  if (c.pcap_file) j["pcap_file"] = *c.pcap_file;
  if (c.directory) j["directory"] = *c.directory;
  if (c.stdout_file) j["stdout_file"] = *c.stdout_file;
  if (c.stderr_file) j["stderr_file"] = *c.stderr_file;
  if (c.bare_mode) j["bare_mode"] = *c.bare_mode;
  j["addl_base_scripts"] = c.addl_base_scripts;
  j["addl_user_scripts"] = c.addl_user_scripts;
  j["scripts"] = c.scripts;
  j["env"] = ordered_json::object();
  for (const auto& [k, v] : c.env) j["env"][k] = v;
  if (c.cpu_affinity) j["cpu_affinity"] = *c.cpu_affinity;
  j["cluster"] = ordered_json::object();
  for (const auto& [name, ep] : c.cluster) j["cluster"][name] = EndpointJson(ep);
  if (!c.command.empty()) j["command"] = c.command;
  if (c.name_space) j["namespace"] = *c.name_space;
  if (c.stop_signal) j["stop_signal"] = *c.stop_signal;
  if (c.stop_timeout) j["stop_timeout"] = *c.stop_timeout;
  if (c.restart_policy) j["restart_policy"] = *c.restart_policy;
  if (!c.permanent_failure_codes.empty()) j["permanent_failure_codes"] = c.permanent_failure_codes;
  if (c.start_limit_burst) j["start_limit_burst"] = *c.start_limit_burst;
  if (c.start_limit_interval) j["start_limit_interval"] = *c.start_limit_interval;
  if (c.stage) j["stage"] = *c.stage;
  if (c.ready) j["ready"] = *c.ready;
  if (c.ready_timeout) j["ready_timeout"] = *c.ready_timeout;
  if (c.cluster_backend) {
    ordered_json& b = j["cluster_backend"];
    b["type"] = c.cluster_backend->type;
    if (c.cluster_backend->xpub_endpoint) b["xpub_endpoint"] = *c.cluster_backend->xpub_endpoint;
    if (c.cluster_backend->xsub_endpoint) b["xsub_endpoint"] = *c.cluster_backend->xsub_endpoint;
    if (c.cluster_backend->metrics_address) {
      b["metrics_address"] = *c.cluster_backend->metrics_address;
    }
  }
  if (c.user) j["user"] = *c.user;
  if (c.group) j["group"] = *c.group;
  if (!c.capabilities.empty()) j["capabilities"] = c.capabilities;
  if (c.umask) j["umask"] = *c.umask;
  if (c.nice) j["nice"] = *c.nice;
  if (!c.rlimits.empty()) {
    ordered_json& limits = j["rlimits"];
    limits = ordered_json::object();
    for (const auto& [name, l] : c.rlimits) {
      limits[name] = l.soft == l.hard ? ordered_json(l.soft) : ordered_json::array({l.soft, l.hard});
    }
  }
  for (auto [key, rotation] : {std::pair{"stdout_rotate", &c.stdout_rotate},
                               std::pair{"stderr_rotate", &c.stderr_rotate}}) {
    if (*rotation) j[key] = {{"max_bytes", (*rotation)->max_bytes}, {"backups", (*rotation)->backups}};
  }
  if (c.tee) j["tee"] = *c.tee;
  // Replace rather than throw on invalid UTF-8 (decoded configs never have any).
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<NodeConfig> NodeConfigFromJson(std::string_view text) {
  auto j = Parse(text);
  if (!j.ok()) return j.status();
  return FromJsonValue(*j, "config");
}

Result<std::vector<NodeConfig>> NodeConfigsFromJson(std::string_view text) {
  auto j = Parse(text);
  if (!j.ok()) return j.status();
  std::vector<NodeConfig> configs;
  if (j->is_array()) {
    for (size_t i = 0; i < j->size(); ++i) {
      auto c = FromJsonValue((*j)[i], "[" + std::to_string(i) + "]");
      if (!c.ok()) return c.status();
      configs.push_back(std::move(*c));
    }
    return configs;
  }
  auto c = FromJsonValue(*j, "config");
  if (!c.ok()) return c.status();
  configs.push_back(std::move(*c));
  return configs;
}

}  // namespace zsup
