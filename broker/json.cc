#include "broker/json.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "broker/codec.h"
#include "broker/msgpack_reader.h"

namespace zsup {
namespace {

using ordered_json = nlohmann::ordered_json;

constexpr std::string_view kNotJson = "not valid JSON";

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

// JSON as msgpack, so that both forms share the msgpack decoder's rules:
// they have the same data model for everything a NodeConfig holds.
Result<msgpack::object_handle> AsMsgpack(const nlohmann::json& j) {
  std::vector<uint8_t> bytes = nlohmann::json::to_msgpack(j);
  return mp::Unpack(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

Result<NodeConfig> FromJsonValue(const nlohmann::json& j, const std::string& path) {
  auto handle = AsMsgpack(j);
  if (!handle.ok()) return handle.status();
  return ReadNodeConfig(handle->get(), path);
}

NodeConfigEntry EntryFromJsonValue(const nlohmann::json& j, size_t index) {
  NodeConfigEntry entry;
  entry.label = "[" + std::to_string(index) + "]";
  if (j.is_object() && j.contains("name") && j["name"].is_string()) {
    entry.label += " '" + j["name"].get<std::string>() + "'";
  }
  auto handle = AsMsgpack(j);
  if (!handle.ok()) {
    entry.problems.push_back(handle.error());
    return entry;
  }
  entry.config = ReadNodeConfig(handle->get(), "", "", &entry.problems);
  return entry;
}

// Turns the byte offset nlohmann's parser stops at into a line and column,
// through its SAX interface, which reports the error without an exception.
class SyntaxErrorFinder {
 public:
  using json = nlohmann::json;
  bool null() { return true; }
  bool boolean(bool /*value*/) { return true; }
  bool number_integer(json::number_integer_t /*value*/) { return true; }
  bool number_unsigned(json::number_unsigned_t /*value*/) { return true; }
  bool number_float(json::number_float_t /*value*/, const json::string_t& /*text*/) { return true; }
  bool string(json::string_t& /*value*/) { return true; }
  bool binary(json::binary_t& /*value*/) { return true; }
  bool start_object(size_t /*elements*/) { return true; }
  bool key(json::string_t& /*value*/) { return true; }
  bool end_object() { return true; }
  bool start_array(size_t /*elements*/) { return true; }
  bool end_array() { return true; }
  bool parse_error(size_t position, const std::string& /*last_token*/, const json::exception& e) {
    position_ = position;
    // "[json.exception.parse_error.101] parse error at line 1, column 2: WHY"
    std::string what = e.what();
    const size_t colon = what.find(": ", what.find(']'));
    message_ = colon == std::string::npos ? what : what.substr(colon + 2);
    return false;
  }

  static JsonSyntaxError Find(std::string_view text) {
    SyntaxErrorFinder finder;
    json::sax_parse(text, &finder);
    JsonSyntaxError error;
    error.message = finder.message_.empty() ? std::string(kNotJson) : finder.message_;
    if (finder.position_ == 0) return error;
    // position counts the bytes read, the one the parser stopped at included.
    const size_t at = std::min(finder.position_ - 1, text.size());
    const std::string_view before = text.substr(0, at);
    const size_t newline = before.rfind('\n');
    error.line = 1 + static_cast<size_t>(std::count(before.begin(), before.end(), '\n'));
    error.column = newline == std::string_view::npos ? at + 1 : at - newline;
    return error;
  }

 private:
  size_t position_ = 0;
  std::string message_;
};

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
  if (j.is_discarded()) return Status::Error(std::string(kNotJson));
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

NodeConfigsJson NodeConfigsFromJson(std::string_view text) {
  NodeConfigsJson out;
  auto j = Parse(text);
  if (!j.ok()) {
    out.syntax = j.error() == kNotJson ? SyntaxErrorFinder::Find(text)
                                       : JsonSyntaxError{.message = j.error()};
    return out;
  }
  if (!j->is_array()) {
    out.entries.push_back(EntryFromJsonValue(*j, 0));
    return out;
  }
  for (size_t i = 0; i < j->size(); ++i) out.entries.push_back(EntryFromJsonValue((*j)[i], i));
  return out;
}

}  // namespace zsup
