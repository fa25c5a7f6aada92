#include "tools/zsupctl/cluster/node_cfg.h"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <set>

#include "tools/zsupctl/cluster/ini.h"
#include "tools/zsupctl/cluster/text.h"

namespace zsup::cluster {
namespace {

using text::Lower;
using text::ParseInt;
using text::Strip;

const std::set<std::string>& KnownKeys() {
  static const std::set<std::string> keys = {
      "type", "host", "interface", "aux_scripts", "zeekbase", "ether", "zone_id", "lb_procs",
      "lb_method", "lb_interfaces", "pin_cpus", "env_vars", "count",
      // zzz_af_packet's node keys: accepted; zsup does not write its redefs.
      "af_packet_block_size", "af_packet_block_timeout", "af_packet_buffer_size",
      "af_packet_checksum_validation_mode", "af_packet_enable_defrag", "af_packet_enable_fanout",
      "af_packet_enable_hw_timestamping", "af_packet_fanout_id", "af_packet_fanout_mode",
      "af_packet_link_type"};
  return keys;
}

constexpr std::pair<const char*, ZeekNodeType> kTypes[] = {
    {"standalone", ZeekNodeType::kStandalone},
    {"logger", ZeekNodeType::kLogger},
    {"manager", ZeekNodeType::kManager},
    {"proxy", ZeekNodeType::kProxy},
    {"worker", ZeekNodeType::kWorker}};

// A node while being read: what the plugins still need besides ZeekNode.
struct Pending {
  ZeekNode node;
  std::string lb_method;
  std::string lb_procs;
};

void SetDefault(std::map<std::string, std::string>& env, const std::string& key,
                const std::string& value) {
  env.emplace(key, value);
}

// The lb plugins, in ZeekControl's plugin order (lb_custom, lb_myricom,
// lb_pf_ring, zzz_af_packet), over the nodes in sorted order.
void RunPlugins(std::vector<Pending>& nodes, const ZeekctlOptions& o,
                std::vector<std::string>& warnings) {
  for (Pending& p : nodes) {
    if (p.lb_method == "custom") {
      p.node.interface = o.lb_custom_prefix + p.node.interface + o.lb_custom_suffix;
    }
  }
  for (Pending& p : nodes) {
    if (p.lb_method == "myricom") {
      SetDefault(p.node.env_vars, "SNF_NUM_RINGS", p.lb_procs);
      SetDefault(p.node.env_vars, "SNF_FLAGS", "0x101");
    }
  }
  static const std::map<std::string, std::string> kPfRingTypes = {
      {"2-tuple", "PCAP_PF_RING_USE_CLUSTER_PER_FLOW_2_TUPLE"},
      {"4-tuple", "PCAP_PF_RING_USE_CLUSTER_PER_FLOW_4_TUPLE"},
      {"5-tuple", "PCAP_PF_RING_USE_CLUSTER_PER_FLOW_5_TUPLE"},
      {"tcp-5-tuple", "PCAP_PF_RING_USE_CLUSTER_PER_FLOW_TCP_5_TUPLE"},
      {"6-tuple", "PCAP_PF_RING_USE_CLUSTER_PER_FLOW"},
      {"inner-2-tuple", "PCAP_PF_RING_USE_CLUSTER_PER_INNER_FLOW_2_TUPLE"},
      {"inner-4-tuple", "PCAP_PF_RING_USE_CLUSTER_PER_INNER_FLOW_4_TUPLE"},
      {"inner-5-tuple", "PCAP_PF_RING_USE_CLUSTER_PER_INNER_FLOW_5_TUPLE"},
      {"inner-tcp-5-tuple", "PCAP_PF_RING_USE_CLUSTER_PER_INNER_FLOW_TCP_5_TUPLE"},
      {"inner-6-tuple", "PCAP_PF_RING_USE_CLUSTER_PER_INNER_FLOW"}};
  auto type = kPfRingTypes.find(o.pfring_cluster_type);
  if (o.pfring_cluster_id != 0 && type == kPfRingTypes.end()) {
    warnings.push_back("plugin lb_pf_ring not activated: PFRINGClusterType \"" +
                       o.pfring_cluster_type + "\" not supported");
  } else if (o.pfring_cluster_id != 0) {
    int app = o.pfring_first_app_instance;
    std::map<std::string, std::map<std::string, int>> ids;  // host -> interface -> cluster id
    for (Pending& p : nodes) {
      if (p.node.type != ZeekNodeType::kWorker || p.lb_method != "pf_ring") continue;
      ZeekNode& n = p.node;
      const std::string original = n.interface;
      auto host = ids.find(n.host);
      if (host == ids.end()) {
        app = o.pfring_first_app_instance;
        ids[n.host] = {{original, o.pfring_cluster_id}};
      } else if (!host->second.contains(original)) {
        app = o.pfring_first_app_instance;
        const int id = o.pfring_cluster_id + static_cast<int>(host->second.size());
        host->second[original] = id;
      }
      SetDefault(n.env_vars, type->second, "1");
      if (original.starts_with("zc:") || original.starts_with("pf_ring::zc:")) {
        SetDefault(n.env_vars, "PCAP_PF_RING_ZC_RSS", "1");
        n.interface += "@" + std::to_string(app);
      } else if (original.starts_with("dnacl")) {
        n.interface += "@" + std::to_string(app);
      } else if (original.starts_with("dna")) {
        SetDefault(n.env_vars, "PCAP_PF_RING_DNA_RSS", "1");
        n.interface += "@" + std::to_string(app);
      } else {
        SetDefault(n.env_vars, "PCAP_PF_RING_CLUSTER_ID", std::to_string(ids[n.host][original]));
      }
      ++app;
      SetDefault(n.env_vars, "PCAP_PF_RING_APPNAME", "zeek-" + n.interface);
    }
  }
  for (Pending& p : nodes) {
    if (p.node.type != ZeekNodeType::kWorker || p.lb_procs.empty() || p.lb_method != "af_packet") {
      continue;
    }
    if (p.node.interface.starts_with("af_packet::")) {
      warnings.push_back(
          "plugin af_packet not activated: unexpected af_packet:: prefix for "
          "interface " +
          p.node.interface + " of " + p.node.name);
      break;
    }
    p.node.interface = "af_packet::" + p.node.interface;
  }
}

}  // namespace

const char* TypeName(ZeekNodeType type) {
  for (const auto& [name, t] : kTypes) {
    if (t == type) return name;
  }
  return "?";
}

const ZeekNode* NodeCfg::Manager() const {
  for (const ZeekNode& n : nodes) {
    if (n.type == ZeekNodeType::kManager || n.type == ZeekNodeType::kStandalone) return &n;
  }
  return nullptr;
}

Result<std::vector<std::string>> ResolveHost(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_protocol = IPPROTO_TCP;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found); rc != 0) {
    return Status::Error(::gai_strerror(rc));
  }
  std::vector<std::string> addrs;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    char text[NI_MAXHOST];
    if (::getnameinfo(a->ai_addr, a->ai_addrlen, text, sizeof text, nullptr, 0, NI_NUMERICHOST) ==
        0) {
      addrs.emplace_back(text);
    }
  }
  ::freeaddrinfo(found);
  if (addrs.empty()) return Status::Error("no address");
  return addrs;
}

Result<NodeCfg> ReadNodeCfg(const std::string& text, const std::string& file,
                            const ZeekctlOptions& options, const Resolver& resolve) {
  auto sections = ParseIni(text, file);
  if (!sections.ok()) return sections.status();
  NodeCfg cfg;
  std::vector<Pending> nodes;
  std::map<ZeekNodeType, int> counts;
  for (const IniSection& section : *sections) {
    std::map<std::string, const IniEntry*> attrs;
    for (const IniEntry& e : section.entries) {
      std::string key = e.key;
      std::replace(key.begin(), key.end(), '.', '_');
      if (!KnownKeys().contains(key)) {
        cfg.warnings.push_back(file + ":" + std::to_string(e.line) +
                               ": ignoring unrecognized node config option '" + key +
                               "' given for node '" + section.name + "'");
        continue;
      }
      attrs[key] = &e;
    }
    auto value = [&](const std::string& key) {
      auto it = attrs.find(key);
      return it == attrs.end() ? std::string() : it->second->value;
    };
    auto error = [&](const std::string& key, const std::string& what) {
      auto it = attrs.find(key);
      const int line = it == attrs.end() ? section.line : it->second->line;
      return Status::Error(file + ":" + std::to_string(line) + ": " + what);
    };
    const std::string& name = section.name;
    const std::string quoted = "'" + name + "'";
    Pending p;
    p.node.name = name;
    p.node.line = section.line;
    const std::string type = value("type");
    if (type.empty()) return error("type", "no type given for node " + name);
    auto t = std::find_if(std::begin(kTypes), std::end(kTypes),
                          [&](const auto& entry) { return type == entry.first; });
    if (t == std::end(kTypes)) {
      return error("type", "unknown node type '" + type + "' given for node " + quoted);
    }
    p.node.type = t->second;
    p.node.host = value("host");
    if (p.node.host.empty()) return error("host", "no host given for node " + quoted);
    auto addrs = resolve(p.node.host);
    if (!addrs.ok()) {
      return error("host", "hostname lookup failed for '" + p.node.host + "' in node config [" +
                               addrs.error() + "]");
    }
    auto v4 = std::find_if(addrs->begin(), addrs->end(),
                           [](const std::string& a) { return a.find(':') == std::string::npos; });
    p.node.addr = v4 != addrs->end() ? *v4 : addrs->front();
    p.node.addr = p.node.addr.substr(0, p.node.addr.find('%'));
    auto env = ParseEnvVars(value("env_vars"), "node " + quoted + " config");
    if (!env.ok()) return error("env_vars", env.error());
    p.node.env_vars = std::move(*env);
    p.node.interface = value("interface");
    p.node.aux_scripts = text::Words(value("aux_scripts"));
    p.node.count = ++counts[p.node.type];
    p.lb_procs = value("lb_procs");
    p.lb_method = value("lb_method");
    long procs = 0;
    if (!p.lb_procs.empty()) {
      if (p.node.type != ZeekNodeType::kWorker) {
        return error("lb_procs", "node " + quoted +
                                     " config: load balancing node config options are only for "
                                     "worker nodes");
      }
      auto n = ParseInt(p.lb_procs);
      if (!n) {
        return error("lb_procs",
                     "number of load-balanced processes must be an integer for node " + quoted);
      }
      if (*n < 1) {
        return error(
            "lb_procs",
            "number of load-balanced processes must be greater than zero for node " + quoted);
      }
      if (*n > 4096) return error("lb_procs", "lb_procs for node " + quoted + " is above 4096");
      procs = *n;
    } else if (!p.lb_method.empty()) {
      return error("lb_method",
                   "number of load-balanced processes not specified for node " + quoted);
    }
    std::vector<int> cpus;
    if (const std::string pins = value("pin_cpus"); !pins.empty()) {
      for (const std::string& piece : text::Split(pins, ',')) {
        auto cpu = ParseInt(piece);
        if (!cpu || *cpu < 0 || *cpu > 1023) {
          return error("pin_cpus",
                       "pin cpus list must contain only non-negative integers for node " + quoted);
        }
        cpus.push_back(static_cast<int>(*cpu));
      }
      const size_t listed = cpus.size();
      for (size_t i = listed; i < static_cast<size_t>(procs); ++i) {
        cpus.push_back(cpus[i % listed]);  // a short list is reused
      }
      p.node.pin_cpu = cpus[0];
    }
    std::vector<std::string> interfaces;
    if (!p.lb_procs.empty()) {
      static const std::set<std::string> kMethods = {"af_packet", "pf_ring", "myricom", "custom",
                                                     "interfaces"};
      if (p.lb_method.empty()) {
        return error("lb_procs", "no load balancing method given for node " + quoted);
      }
      if (!kMethods.contains(p.lb_method)) {
        return error("lb_method", "unknown load balancing method '" + p.lb_method +
                                      "' given for node " + quoted);
      }
      if (p.lb_method == "interfaces") {
        const std::string list = value("lb_interfaces");
        if (list.empty()) {
          return error("lb_interfaces",
                       "list of load-balanced interfaces not specified for node " + quoted);
        }
        for (const std::string& piece : text::Split(list, ',')) interfaces.push_back(Strip(piece));
        if (interfaces.size() != static_cast<size_t>(procs)) {
          return error("lb_interfaces",
                       "number of load-balanced interfaces is not same as number of "
                       "load-balanced processes for node " +
                           quoted);
        }
      }
    }
    std::vector<Pending> expanded;
    if (!p.lb_procs.empty()) {
      // As ZeekControl: NAME-1 takes the last listed interface, and NAME-2..N
      // are stored before NAME-1 (which decides what a duplicate names).
      if (!interfaces.empty()) p.node.interface = interfaces.back(), interfaces.pop_back();
      for (long k = 2; k <= procs; ++k) {
        Pending copy = p;
        copy.node.name = name + "-" + std::to_string(k);
        copy.node.count = ++counts[p.node.type];
        if (!cpus.empty()) copy.node.pin_cpu = cpus[static_cast<size_t>(k - 1)];
        if (!interfaces.empty()) copy.node.interface = interfaces.back(), interfaces.pop_back();
        expanded.push_back(std::move(copy));
      }
      p.node.name = name + "-1";
    }
    expanded.push_back(std::move(p));
    for (Pending& n : expanded) {
      for (const Pending& other : nodes) {
        if (Lower(other.node.name) == Lower(n.node.name)) {
          return Status::Error(file + ":" + std::to_string(section.line) + ": node name \"" +
                               n.node.name + "\" is a duplicate of \"" + other.node.name + "\"");
        }
      }
      nodes.push_back(std::move(n));
    }
  }
  if (nodes.empty()) return Status::Error(file + ": no nodes found in node config");
  const Pending* manager = nullptr;
  bool have_proxy = false, have_standalone = false;
  for (const Pending& p : nodes) {
    const std::string at = file + ":" + std::to_string(p.node.line) + ": ";
    if (p.node.type == ZeekNodeType::kManager) {
      if (manager != nullptr) {
        return Status::Error(at +
                             "only one manager can be defined in node config (the other "
                             "is on line " +
                             std::to_string(manager->node.line) + ")");
      }
      manager = &p;
    }
    have_proxy = have_proxy || p.node.type == ZeekNodeType::kProxy;
    have_standalone = have_standalone || p.node.type == ZeekNodeType::kStandalone;
  }
  if (have_standalone) {
    if (nodes.size() > 1) {
      return Status::Error(file + ": more than one node defined in standalone node config");
    }
  } else if (manager == nullptr) {
    return Status::Error(file + ": no manager defined in node config");
  } else if (!have_proxy) {
    return Status::Error(file + ": no proxy defined in node config");
  }
  auto is_localhost = [](const std::string& a) { return a == "127.0.0.1" || a == "::1"; };
  if (manager != nullptr && is_localhost(manager->node.addr)) {
    for (const Pending& p : nodes) {
      if (p.node.type != ZeekNodeType::kManager && !is_localhost(p.node.addr)) {
        return Status::Error(file + ":" + std::to_string(p.node.line) +
                             ": all nodes must use localhost/127.0.0.1/::1 when manager uses it");
      }
    }
  }
  // ZeekControl's order: by type, then by count (file order within a type).
  std::stable_sort(nodes.begin(), nodes.end(), [](const Pending& a, const Pending& b) {
    if (a.node.type != b.node.type) return a.node.type < b.node.type;
    return a.node.count < b.node.count;
  });
  for (Pending& p : nodes) {
    for (const auto& [key, value] : options.env_vars) p.node.env_vars.emplace(key, value);
  }
  RunPlugins(nodes, options, cfg.warnings);
  cfg.standalone = have_standalone;
  for (Pending& p : nodes) cfg.nodes.push_back(std::move(p.node));
  return cfg;
}

}  // namespace zsup::cluster
