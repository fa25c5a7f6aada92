#include "broker/validation.h"

#include <arpa/inet.h>

#include <algorithm>
#include <string>

#include "broker/credentials.h"
#include "broker/ready_spec.h"
#include "broker/signals.h"
#include "broker/utf8.h"

namespace zsup {
namespace {

bool IsWhiteSpace(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

Status NoNulString(std::string_view field, std::string_view value) {
  if (value.find('\0') != std::string_view::npos) {
    return Status::Error("config." + std::string(field) + ": must not contain NUL bytes");
  }
  return Status::Ok();
}

Status NoNul(std::string_view field, const std::optional<std::string>& value) {
  return value ? NoNulString(field, *value) : Status::Ok();
}

Status NoNul(std::string_view field, const std::vector<std::string>& values) {
  for (const std::string& v : values) {
    Status s = NoNulString(field, v);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status NotEmpty(std::string_view field, const std::optional<std::string>& value) {
  if (value && value->empty()) {
    return Status::Error("config." + std::string(field) + ": must not be empty when set");
  }
  return Status::Ok();
}

// An endpoint that goes into a Zeek string literal as is.
bool IsPlainTcpEndpoint(const std::string& e) {
  if (!e.starts_with("tcp://") || e.size() == 6 || e.size() > 300) return false;
  return std::all_of(e.begin(), e.end(), [](unsigned char ch) {
    return ch > 0x20 && ch < 0x7f && ch != '"' && ch != '\\';
  });
}

Status ValidateBackend(const ClusterBackend& b) {
  const std::string field = "config.cluster_backend";
  if (b.metrics_address && !IsIpAddressLiteral(*b.metrics_address)) {
    return Status::Error(field + ".metrics_address: '" + *b.metrics_address +
                         "' is not an IP address");
  }
  if (b.type == "broker") {
    if (b.xpub_endpoint || b.xsub_endpoint) {
      return Status::Error(field + ": xpub_endpoint and xsub_endpoint are for type \"zeromq\"");
    }
    return Status::Ok();
  }
  if (b.type != "zeromq") {
    return Status::Error(field + ".type: must be \"zeromq\" or \"broker\", not '" + b.type +
                         "'");
  }
  for (const auto& [key, value] : {std::pair{"xpub_endpoint", &b.xpub_endpoint},
                                   std::pair{"xsub_endpoint", &b.xsub_endpoint}}) {
    if (!*value) return Status::Error(field + "." + key + ": required for type \"zeromq\"");
    if (!IsPlainTcpEndpoint(**value)) {
      return Status::Error(field + "." + key + ": must be a tcp://HOST:PORT endpoint, not '" +
                           **value + "'");
    }
  }
  return Status::Ok();
}

// What the layout script of a node with cluster_backend needs.
Status ValidateLayoutNode(const NodeConfig& c) {
  if (c.bare_mode.value_or(false)) {
    return Status::Error("config.cluster_backend: a bare_mode node has no cluster framework to "
                         "configure");
  }
  if (c.command.empty() && !c.directory) {
    return Status::Error("config.cluster_backend: a Zeek node needs a directory, where its "
                         "cluster-layout.zeek goes");
  }
  if (c.name.size() > kMaxLayoutNodeNameBytes) {
    return Status::Error("config.cluster_backend: the name is longer than " +
                         std::to_string(kMaxLayoutNodeNameBytes) +
                         " bytes, too long for its layout script's file name");
  }
  const std::string* manager = nullptr;
  for (const auto& [member, ep] : c.cluster) {
    if (!IsIpAddressLiteral(ep.host)) {
      return Status::Error("config.cluster." + member + ".host: '" + ep.host +
                           "' is not an IP address (Zeek's layout needs one)");
    }
    if (ep.role == ClusterRole::kManager) {
      if (manager != nullptr) {
        return Status::Error("config.cluster: '" + *manager + "' and '" + member +
                             "' are both a MANAGER");
      }
      manager = &member;
    }
  }
  return Status::Ok();
}

}  // namespace

bool IsIpAddressLiteral(const std::string& text) {
  unsigned char buf[sizeof(in6_addr)];
  return ::inet_pton(AF_INET, text.c_str(), buf) == 1 ||
         ::inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

Status ValidateNodeName(std::string_view name) {
  const std::string quoted = "'" + std::string(name) + "'";
  if (name.empty()) return Status::Error("node names must not be an empty string");
  for (unsigned char c : name) {
    if (IsWhiteSpace(c)) return Status::Error("node names must not contain spaces: " + quoted);
  }
  if (name.size() > kMaxNodeNameBytes) {
    return Status::Error("node names must be at most 255 bytes long (this one has " +
                         std::to_string(name.size()) + ")");
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      return Status::Error("node names must not contain control characters");
    }
  }
  if (name.find('/') != std::string_view::npos) {
    return Status::Error("node names must not contain '/': " + quoted);
  }
  if (!IsValidUtf8(name)) return Status::Error("node names must be valid UTF-8");
  return Status::Ok();
}

Status ValidateNodeFields(const NodeConfig& c) {
  if (c.interface && c.pcap_file) {
    return Status::Error("node with name '" + c.name + "' has interface and pcap_file set");
  }
  Status s = NoNul("interface", c.interface);
  if (s.ok()) s = NoNul("pcap_file", c.pcap_file);
  if (s.ok()) s = NoNul("directory", c.directory);
  if (s.ok()) s = NoNul("stdout_file", c.stdout_file);
  if (s.ok()) s = NoNul("stderr_file", c.stderr_file);
  if (s.ok()) s = NotEmpty("directory", c.directory);
  if (s.ok()) s = NotEmpty("stdout_file", c.stdout_file);
  if (s.ok()) s = NotEmpty("stderr_file", c.stderr_file);
  if (s.ok()) s = NoNul("addl_base_scripts", c.addl_base_scripts);
  if (s.ok()) s = NoNul("addl_user_scripts", c.addl_user_scripts);
  if (s.ok()) s = NoNul("scripts", c.scripts);
  if (s.ok()) s = NoNul("command", c.command);
  if (!s.ok()) return s;
  if (!c.command.empty() && c.command[0].empty()) {
    return Status::Error("config.command: the program (first element) must not be empty");
  }
  for (const auto& [key, value] : c.env) {
    if (key.empty()) return Status::Error("config.env: keys must not be empty");
    if (key.find('=') != std::string::npos) {
      return Status::Error("config.env: key '" + key + "' must not contain '='");
    }
    s = NoNulString("env", key);
    if (s.ok()) s = NoNulString("env." + key, value);
    if (!s.ok()) return s;
  }
  if (c.cpu_affinity && (*c.cpu_affinity < 0 || *c.cpu_affinity >= 1024)) {
    return Status::Error("config.cpu_affinity: must be a CPU number between 0 and 1023");
  }
  const std::string node = "node '" + c.name + "': ";
  if (c.name_space) {
    if (c.name_space->empty() || c.name_space->size() > kMaxNodeNameBytes ||
        !IsValidUtf8(*c.name_space) ||
        std::any_of(c.name_space->begin(), c.name_space->end(),
                    [](unsigned char ch) { return ch < 0x20 || ch == 0x7f; })) {
      return Status::Error(node +
                           "config.namespace: must be 1 to 255 bytes of UTF-8 without control "
                           "characters");
    }
  }
  if (c.stop_signal && !SignalNumber(*c.stop_signal)) {
    return Status::Error(node + "config.stop_signal: unknown signal '" + *c.stop_signal +
                         "' (a name without SIG, e.g. TERM, INT, QUIT, HUP, USR1)");
  }
  if (c.stop_timeout && !(*c.stop_timeout >= 0 && *c.stop_timeout <= 86400 * 365)) {
    return Status::Error(node + "config.stop_timeout: must be a number of seconds >= 0");
  }
  if (c.restart_policy && *c.restart_policy != "always" && *c.restart_policy != "on-failure" &&
      *c.restart_policy != "never") {
    return Status::Error(node + "config.restart_policy: must be \"always\", \"on-failure\" or "
                                "\"never\", not '" + *c.restart_policy + "'");
  }
  for (int64_t code : c.permanent_failure_codes) {
    if (code < 0 || code > 255) {
      return Status::Error(node + "config.permanent_failure_codes: exit codes are 0 to 255, not " +
                           std::to_string(code));
    }
  }
  if (c.start_limit_burst && (*c.start_limit_burst < 0 || *c.start_limit_burst > 1000000)) {
    return Status::Error(node + "config.start_limit_burst: must be 0 (off) or more");
  }
  if (c.start_limit_interval && !(*c.start_limit_interval > 0 && *c.start_limit_interval <= 86400)) {
    return Status::Error(node + "config.start_limit_interval: must be a number of seconds > 0");
  }
  if (c.stage && *c.stage < 0) {
    return Status::Error(node + "config.stage: must be 0 or more, not " + std::to_string(*c.stage));
  }
  if (c.ready) {
    if (auto spec = ParseReady(*c.ready); !spec.ok()) {
      return Status::Error(node + "config.ready: " + spec.error());
    }
  }
  if (c.ready_timeout && !(*c.ready_timeout > 0 && *c.ready_timeout <= 86400 * 365)) {
    return Status::Error(node + "config.ready_timeout: must be a number of seconds > 0");
  }
  if (c.cluster_backend) {
    Status b = ValidateBackend(*c.cluster_backend);
    if (b.ok()) b = ValidateLayoutNode(c);
    if (!b.ok()) return Status::Error(node + b.message());
  }
  return ValidateExecutionFields(c);
}

Status ValidateExecSize(const NodeConfig& c, size_t budget) {
  size_t total = 0;
  auto count = [&](const std::string& field, size_t bytes) {
    total += bytes + 1 + sizeof(char*);
    if (bytes <= kMaxExecStringBytes) return Status::Ok();
    return Status::Error("node '" + c.name + "': config." + field + " is " +
                         std::to_string(bytes) + " bytes; exec takes at most " +
                         std::to_string(kMaxExecStringBytes) +
                         " bytes per argument or environment string");
  };
  Status s;
  for (const std::string& arg : c.command) {
    if (s.ok()) s = count("command", arg.size());
  }
  for (const auto* list : {&c.addl_base_scripts, &c.scripts, &c.addl_user_scripts}) {
    for (const std::string& script : *list) {
      if (s.ok()) s = count("scripts", script.size());
    }
  }
  if (s.ok() && c.interface) s = count("interface", c.interface->size());
  if (s.ok() && c.pcap_file) s = count("pcap_file", c.pcap_file->size());
  for (const auto& [key, value] : c.env) {
    if (s.ok()) s = count("env." + key, key.size() + 1 + value.size());
  }
  if (!s.ok()) return s;
  if (total > budget) {
    return Status::Error("node '" + c.name + "': its command and env take " +
                         std::to_string(total) + " bytes; at most " + std::to_string(budget) +
                         " can be exec'd");
  }
  return Status::Ok();
}

Status ValidateNodeConfig(const NodeConfig& config) {
  Status s = ValidateNodeName(config.name);
  return s.ok() ? ValidateNodeFields(config) : s;
}

}  // namespace zsup
