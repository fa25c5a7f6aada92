// NodeConfig <-> msgpack. Field names are Zeek's (see PROTOCOL.md).
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "broker/codec.h"
#include "broker/msgpack_reader.h"

namespace zsup {
namespace {

void PackPort(Packer& pk, const Port& port) {
  pk.pack_map(2);
  pk.pack("port");
  pk.pack(port.port);
  pk.pack("proto");
  pk.pack(port.proto);
}

void PackEndpoint(Packer& pk, const ClusterEndpoint& ep) {
  pk.pack_map(3 + ep.interface.has_value() + ep.pcap_file.has_value() +
              ep.metrics_port.has_value());
  pk.pack("role");
  pk.pack(RoleName(ep.role));
  pk.pack("host");
  pk.pack(ep.host);
  pk.pack("p");
  PackPort(pk, ep.p);
  if (ep.interface) pk.pack("interface"), pk.pack(*ep.interface);
  if (ep.pcap_file) pk.pack("pcap_file"), pk.pack(*ep.pcap_file);
  if (ep.metrics_port) pk.pack("metrics_port"), PackPort(pk, *ep.metrics_port);
}

Result<Port> ReadPort(const msgpack::object& o, const std::string& path) {
  auto r = mp::MapReader::Open(o, path, path);
  if (!r.ok()) return r.status();
  int64_t number = 0;
  Port port;
  Status s = r->Required("port", &number);
  if (s.ok()) s = r->Default("proto", &port.proto);
  if (s.ok()) s = r->NoUnknownFields();
  if (!s.ok()) return s;
  if (number < 0 || number > 65535) {
    return Status::Error(path + ".port: must be between 0 and 65535");
  }
  if (port.proto != "tcp" && port.proto != "udp" && port.proto != "icmp" &&
      port.proto != "unknown") {
    return Status::Error(path + ".proto: must be \"tcp\", \"udp\", \"icmp\" or \"unknown\"");
  }
  port.port = static_cast<uint16_t>(number);
  return port;
}

Result<ClusterEndpoint> ReadEndpoint(const msgpack::object& o, const std::string& path) {
  auto r = mp::MapReader::Open(o, path, path);
  if (!r.ok()) return r.status();
  ClusterEndpoint ep;
  std::string role;
  Status s = r->Required("role", &role);
  if (s.ok()) s = r->Required("host", &ep.host);
  if (s.ok()) s = r->Optional("interface", &ep.interface);
  if (s.ok()) s = r->Optional("pcap_file", &ep.pcap_file);
  if (!s.ok()) return s;
  if (auto parsed = ParseRole(role)) {
    ep.role = *parsed;
  } else {
    return Status::Error(r->FieldPath("role") + ": unknown role '" + role +
                         "' (expected NONE, LOGGER, MANAGER, PROXY or WORKER)");
  }
  const msgpack::object* p = r->Take("p");
  if (p == nullptr) return Status::Error("missing field 'p' in " + path);
  auto port = ReadPort(*p, r->FieldPath("p"));
  if (!port.ok()) return port.status();
  ep.p = *port;
  if (const msgpack::object* m = r->Take("metrics_port")) {
    auto metrics = ReadPort(*m, r->FieldPath("metrics_port"));
    if (!metrics.ok()) return metrics.status();
    ep.metrics_port = *metrics;
  }
  s = r->NoUnknownFields();
  if (!s.ok()) return s;
  return ep;
}

void PackBackend(Packer& pk, const ClusterBackend& b) {
  pk.pack_map(1 + b.xpub_endpoint.has_value() + b.xsub_endpoint.has_value() +
              b.metrics_address.has_value());
  pk.pack("type"), pk.pack(b.type);
  if (b.xpub_endpoint) pk.pack("xpub_endpoint"), pk.pack(*b.xpub_endpoint);
  if (b.xsub_endpoint) pk.pack("xsub_endpoint"), pk.pack(*b.xsub_endpoint);
  if (b.metrics_address) pk.pack("metrics_address"), pk.pack(*b.metrics_address);
}

Result<ClusterBackend> ReadBackend(const msgpack::object& o, const std::string& path) {
  auto r = mp::MapReader::Open(o, path, path);
  if (!r.ok()) return r.status();
  ClusterBackend b;
  Status s = r->Required("type", &b.type);
  if (s.ok()) s = r->Optional("xpub_endpoint", &b.xpub_endpoint);
  if (s.ok()) s = r->Optional("xsub_endpoint", &b.xsub_endpoint);
  if (s.ok()) s = r->Optional("metrics_address", &b.metrics_address);
  if (s.ok()) s = r->NoUnknownFields();
  if (!s.ok()) return s;
  return b;
}

void PackRotation(Packer& pk, const Rotation& r) {
  pk.pack_map(2);
  pk.pack("max_bytes"), pk.pack(r.max_bytes);
  pk.pack("backups"), pk.pack(r.backups);
}

Result<Rotation> ReadRotation(const msgpack::object& o, const std::string& path) {
  auto r = mp::MapReader::Open(o, path, path);
  if (!r.ok()) return r.status();
  Rotation rotation;
  Status s = r->Required("max_bytes", &rotation.max_bytes);
  if (s.ok()) s = r->Required("backups", &rotation.backups);
  if (s.ok()) s = r->NoUnknownFields();
  if (!s.ok()) return s;
  return rotation;
}

// One int when soft and hard are equal: the canonical form of [n, n].
void PackRlimits(Packer& pk, const std::map<std::string, Rlimit>& limits) {
  pk.pack_map(static_cast<uint32_t>(limits.size()));
  for (const auto& [name, limit] : limits) {
    pk.pack(name);
    if (limit.soft == limit.hard) {
      pk.pack(limit.soft);
    } else {
      pk.pack_array(2), pk.pack(limit.soft), pk.pack(limit.hard);
    }
  }
}

Status ReadRlimits(const msgpack::object& o, const std::string& path,
                   std::map<std::string, Rlimit>* out) {
  if (o.type != msgpack::type::MAP) {
    return Status::Error(path + ": must be a map of limit names to an int or [soft, hard], not " +
                         std::string(mp::TypeName(o)));
  }
  for (uint32_t i = 0; i < o.via.map.size; ++i) {
    const msgpack::object_kv& kv = o.via.map.ptr[i];
    std::string name;
    if (kv.key.type != msgpack::type::STR) return Status::Error(path + ": keys must be strings");
    Status s = mp::Read(kv.key, path, &name);
    if (!s.ok()) return s;
    const std::string entry = path + "." + name;
    Rlimit limit;
    if (kv.val.type == msgpack::type::ARRAY) {
      if (kv.val.via.array.size != 2) {
        return Status::Error(entry + ": must be an int or [soft, hard]");
      }
      s = mp::Read(kv.val.via.array.ptr[0], entry + "[0]", &limit.soft);
      if (s.ok()) s = mp::Read(kv.val.via.array.ptr[1], entry + "[1]", &limit.hard);
    } else {
      s = mp::Read(kv.val, entry, &limit.soft);
      limit.hard = limit.soft;
    }
    if (!s.ok()) return s;
    if (!out->emplace(name, limit).second) return Status::Error(path + ": duplicate key '" + name + "'");
  }
  return Status::Ok();
}

}  // namespace

void PackNodeConfig(Packer& pk, const NodeConfig& c) {
  // Canonical form: fixed key order, unset optionals and empty extensions
  // left out, so equal configs encode to equal bytes (the stem compares
  // fingerprints of this encoding when zsupd adopts running nodes).
  const size_t n = 1 + c.interface.has_value() + c.pcap_file.has_value() +
                   c.directory.has_value() + c.stdout_file.has_value() +
                   c.stderr_file.has_value() + c.bare_mode.has_value() + 2 + !c.scripts.empty() +
                   1 + c.cpu_affinity.has_value() + 1 + !c.command.empty() +
                   c.name_space.has_value() + c.stop_signal.has_value() +
                   c.stop_timeout.has_value() + c.restart_policy.has_value() +
                   !c.permanent_failure_codes.empty() + c.start_limit_burst.has_value() +
                   c.start_limit_interval.has_value() + c.stage.has_value() +
                   c.ready.has_value() + c.ready_timeout.has_value() +
                   c.cluster_backend.has_value() + c.user.has_value() + c.group.has_value() +
                   !c.capabilities.empty() + c.umask.has_value() + c.nice.has_value() +
                   !c.rlimits.empty() + c.stdout_rotate.has_value() +
                   c.stderr_rotate.has_value() + c.tee.has_value();
  pk.pack_map(static_cast<uint32_t>(n));
  pk.pack("name"), pk.pack(c.name);
  if (c.interface) pk.pack("interface"), pk.pack(*c.interface);
  if (c.pcap_file) pk.pack("pcap_file"), pk.pack(*c.pcap_file);
  if (c.directory) pk.pack("directory"), pk.pack(*c.directory);
  if (c.stdout_file) pk.pack("stdout_file"), pk.pack(*c.stdout_file);
  if (c.stderr_file) pk.pack("stderr_file"), pk.pack(*c.stderr_file);
  if (c.bare_mode) pk.pack("bare_mode"), pk.pack(*c.bare_mode);
  pk.pack("addl_base_scripts"), pk.pack(c.addl_base_scripts);
  pk.pack("addl_user_scripts"), pk.pack(c.addl_user_scripts);
  if (!c.scripts.empty()) pk.pack("scripts"), pk.pack(c.scripts);
  pk.pack("env"), pk.pack(c.env);
  if (c.cpu_affinity) pk.pack("cpu_affinity"), pk.pack(*c.cpu_affinity);
  pk.pack("cluster");
  pk.pack_map(static_cast<uint32_t>(c.cluster.size()));
  for (const auto& [name, ep] : c.cluster) {
    pk.pack(name);
    PackEndpoint(pk, ep);
  }
  if (!c.command.empty()) pk.pack("command"), pk.pack(c.command);
  if (c.name_space) pk.pack("namespace"), pk.pack(*c.name_space);
  if (c.stop_signal) pk.pack("stop_signal"), pk.pack(*c.stop_signal);
  if (c.stop_timeout) pk.pack("stop_timeout"), pk.pack(*c.stop_timeout);
  if (c.restart_policy) pk.pack("restart_policy"), pk.pack(*c.restart_policy);
  if (!c.permanent_failure_codes.empty()) {
    pk.pack("permanent_failure_codes"), pk.pack(c.permanent_failure_codes);
  }
  if (c.start_limit_burst) pk.pack("start_limit_burst"), pk.pack(*c.start_limit_burst);
  if (c.start_limit_interval) pk.pack("start_limit_interval"), pk.pack(*c.start_limit_interval);
  if (c.stage) pk.pack("stage"), pk.pack(*c.stage);
  if (c.ready) pk.pack("ready"), pk.pack(*c.ready);
  if (c.ready_timeout) pk.pack("ready_timeout"), pk.pack(*c.ready_timeout);
  if (c.cluster_backend) pk.pack("cluster_backend"), PackBackend(pk, *c.cluster_backend);
  if (c.user) pk.pack("user"), pk.pack(*c.user);
  if (c.group) pk.pack("group"), pk.pack(*c.group);
  if (!c.capabilities.empty()) pk.pack("capabilities"), pk.pack(c.capabilities);
  if (c.umask) pk.pack("umask"), pk.pack(*c.umask);
  if (c.nice) pk.pack("nice"), pk.pack(*c.nice);
  if (!c.rlimits.empty()) pk.pack("rlimits"), PackRlimits(pk, c.rlimits);
  if (c.stdout_rotate) pk.pack("stdout_rotate"), PackRotation(pk, *c.stdout_rotate);
  if (c.stderr_rotate) pk.pack("stderr_rotate"), PackRotation(pk, *c.stderr_rotate);
  if (c.tee) pk.pack("tee"), pk.pack(*c.tee);
}

std::string EncodeNodeConfig(const NodeConfig& config) {
  msgpack::sbuffer buf;
  Packer pk(buf);
  PackNodeConfig(pk, config);
  return std::string(buf.data(), buf.size());
}

std::optional<NodeConfig> ReadNodeConfig(const msgpack::object& o, const std::string& path,
                                         const std::string& what,
                                         std::vector<std::string>* problems) {
  const size_t before = problems->size();
  auto note = [problems](const Status& s) {
    if (!s.ok()) problems->push_back(s.message());
  };
  auto r = mp::MapReader::Open(o, path, what);
  if (!r.ok()) {
    note(r.status());
    return std::nullopt;
  }
  NodeConfig c;
  note(r->Required("name", &c.name));
  note(r->Optional("interface", &c.interface));
  note(r->Optional("pcap_file", &c.pcap_file));
  note(r->Optional("directory", &c.directory));
  note(r->Optional("stdout_file", &c.stdout_file));
  note(r->Optional("stderr_file", &c.stderr_file));
  note(r->Optional("bare_mode", &c.bare_mode));
  note(r->Default("addl_base_scripts", &c.addl_base_scripts));
  note(r->Default("addl_user_scripts", &c.addl_user_scripts));
  note(r->Default("scripts", &c.scripts));
  note(r->Default("env", &c.env));
  note(r->Optional("cpu_affinity", &c.cpu_affinity));
  note(r->Default("command", &c.command));
  note(r->Optional("namespace", &c.name_space));
  note(r->Optional("stop_signal", &c.stop_signal));
  note(r->Optional("stop_timeout", &c.stop_timeout));
  note(r->Optional("restart_policy", &c.restart_policy));
  note(r->Default("permanent_failure_codes", &c.permanent_failure_codes));
  note(r->Optional("start_limit_burst", &c.start_limit_burst));
  note(r->Optional("start_limit_interval", &c.start_limit_interval));
  note(r->Optional("stage", &c.stage));
  note(r->Optional("ready", &c.ready));
  note(r->Optional("ready_timeout", &c.ready_timeout));
  note(r->Optional("user", &c.user));
  note(r->Optional("group", &c.group));
  note(r->Default("capabilities", &c.capabilities));
  note(r->Optional("umask", &c.umask));
  note(r->Optional("nice", &c.nice));
  note(r->Optional("tee", &c.tee));
  if (const msgpack::object* limits = r->Take("rlimits")) {
    note(ReadRlimits(*limits, r->FieldPath("rlimits"), &c.rlimits));
  }
  for (auto [key, field] : {std::pair{"stdout_rotate", &c.stdout_rotate},
                            std::pair{"stderr_rotate", &c.stderr_rotate}}) {
    if (const msgpack::object* value = r->Take(key)) {
      auto rotation = ReadRotation(*value, r->FieldPath(key));
      note(rotation.status());
      if (rotation.ok()) *field = *rotation;
    }
  }
  if (const msgpack::object* backend = r->Take("cluster_backend")) {
    auto b = ReadBackend(*backend, r->FieldPath("cluster_backend"));
    note(b.status());
    if (b.ok()) c.cluster_backend = std::move(*b);
  }
  if (const msgpack::object* cluster = r->Take("cluster")) {
    const std::string cpath = r->FieldPath("cluster");
    if (cluster->type != msgpack::type::MAP) {
      note(Status::Error(cpath + ": must be a map of node names to endpoints, not " +
                         std::string(mp::TypeName(*cluster))));
    } else {
      // Each member's first problem: the members are independent of each other.
      for (uint32_t i = 0; i < cluster->via.map.size; ++i) {
        const msgpack::object_kv& kv = cluster->via.map.ptr[i];
        std::string member;
        if (kv.key.type != msgpack::type::STR) {
          note(Status::Error(cpath + ": keys must be strings"));
          continue;
        }
        if (Status s = mp::Read(kv.key, cpath, &member); !s.ok()) {
          note(s);
          continue;
        }
        auto ep = ReadEndpoint(kv.val, cpath + "." + member);
        note(ep.status());
        if (ep.ok() && !c.cluster.emplace(member, std::move(*ep)).second) {
          note(Status::Error(cpath + ": duplicate key '" + member + "'"));
        }
      }
    }
  }
  for (const Status& s : r->UnknownFields()) note(s);
  if (problems->size() > before) return std::nullopt;
  return c;
}

Result<NodeConfig> ReadNodeConfig(const msgpack::object& o, const std::string& path) {
  std::vector<std::string> problems;
  auto c = ReadNodeConfig(o, path, path, &problems);
  if (!c) return Status::Error(problems.front());
  return std::move(*c);
}

Result<NodeConfig> DecodeNodeConfig(std::string_view bytes) {
  auto handle = mp::Unpack(bytes);
  if (!handle.ok()) return handle.status();
  return ReadNodeConfig(handle->get(), "config");
}

}  // namespace zsup
