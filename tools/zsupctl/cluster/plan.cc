#include "tools/zsupctl/cluster/plan.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>

#include <memory>

#include "broker/zeek_layout.h"
#include "tools/zsupctl/cluster/text.h"

namespace zsup::cluster {
namespace {

ClusterRole RoleOf(ZeekNodeType type) {
  switch (type) {
    case ZeekNodeType::kLogger:
      return ClusterRole::kLogger;
    case ZeekNodeType::kManager:
      return ClusterRole::kManager;
    case ZeekNodeType::kProxy:
      return ClusterRole::kProxy;
    case ZeekNodeType::kWorker:
      return ClusterRole::kWorker;
    case ZeekNodeType::kStandalone:
      break;
  }
  return ClusterRole::kNone;
}

int64_t StageOf(ZeekNodeType type) {
  switch (type) {
    case ZeekNodeType::kProxy:
      return 1;
    case ZeekNodeType::kWorker:
      return 2;
    default:
      return 0;
  }
}

std::string Bracketed(const std::string& addr) {
  return addr.find(':') == std::string::npos ? addr : "[" + addr + "]";
}

// make_layout's two counters: each call hands out the next port.
class PortCounter {
 public:
  explicit PortCounter(int first) : next_(first) {}
  Result<uint16_t> Next() {
    if (next_ > 65535) return Status::Error("the ports run past 65535; lower ZeekPort/MetricsPort");
    return static_cast<uint16_t>(next_++);
  }

 private:
  int next_;
};

}  // namespace

std::vector<NodeConfig> ClusterPlan::Configs() const {
  std::vector<NodeConfig> configs;
  configs.reserve(nodes.size());
  for (const PlannedNode& n : nodes) configs.push_back(n.config);
  return configs;
}

bool IsLocalAddress(const std::string& addr) {
  in6_addr v6{};
  in_addr v4{};
  if (::inet_pton(AF_INET, addr.c_str(), &v4) == 1) {
    if ((ntohl(v4.s_addr) >> 24) == 127) return true;
  } else if (::inet_pton(AF_INET6, addr.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
  } else {
    return false;
  }
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return false;
  std::unique_ptr<ifaddrs, void (*)(ifaddrs*)> owner(list, &::freeifaddrs);
  for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr) continue;
    if (a->ifa_addr->sa_family == AF_INET &&
        reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr.s_addr == v4.s_addr &&
        addr.find(':') == std::string::npos) {
      return true;
    }
    if (a->ifa_addr->sa_family == AF_INET6 &&
        IN6_ARE_ADDR_EQUAL(&reinterpret_cast<sockaddr_in6*>(a->ifa_addr)->sin6_addr, &v6)) {
      return true;
    }
  }
  return false;
}

Result<ClusterPlan> PlanCluster(const NodeCfg& cfg, const ZeekctlOptions& options,
                                const std::string& name_space, const IsLocal& is_local) {
  ClusterPlan plan;
  const ZeekNode* manager = cfg.Manager();
  if (manager == nullptr) return Status::Error("no manager defined in node config");
  PortCounter zp(options.zeek_port);
  std::optional<PortCounter> mp;
  if (options.metrics_port != 0) mp.emplace(options.metrics_port);
  if (!cfg.standalone) {
    if (options.zeromq()) {
      auto xpub = zp.Next(), xsub = zp.Next();
      if (!xpub.ok() || !xsub.ok()) return xpub.ok() ? xsub.status() : xpub.status();
      const std::string a = "tcp://" + Bracketed(manager->addr) + ":";
      plan.backend =
          ClusterBackend{"zeromq", a + std::to_string(*xpub), a + std::to_string(*xsub), {}};
    } else {
      plan.backend = ClusterBackend{"broker", {}, {}, {}};
    }
    if (!options.metrics_address.empty()) plan.backend->metrics_address = options.metrics_address;
    auto control = zp.Next();
    if (!control.ok()) return control.status();
    plan.control_port = *control;
    // make_layout's order (the manager before the loggers, unlike the
    // node order): the ports, and so the layout's entries, follow it.
    std::vector<const ZeekNode*> order;
    for (ZeekNodeType type : {ZeekNodeType::kManager, ZeekNodeType::kLogger, ZeekNodeType::kProxy,
                              ZeekNodeType::kWorker}) {
      for (const ZeekNode& n : cfg.nodes) {
        if (n.type == type) order.push_back(&n);
      }
    }
    for (const ZeekNode* node : order) {
      const ZeekNode& n = *node;
      ClusterEndpoint ep;
      ep.role = RoleOf(n.type);
      ep.host = n.addr;
      auto port = zp.Next();
      if (!port.ok()) return port.status();
      ep.p = Port{*port, "tcp"};
      if (mp) {
        auto metrics = mp->Next();
        if (!metrics.ok()) return metrics.status();
        ep.metrics_port = Port{*metrics, "tcp"};
      }
      plan.cluster[n.name] = ep;
    }
  }
  const std::vector<std::string> site_scripts = text::Words(options.site_policy_scripts);
  for (const ZeekNode& n : cfg.nodes) {
    PlannedNode p;
    p.source = n;
    p.local = is_local(n.addr);
    NodeConfig& c = p.config;
    c.name = n.name;
    c.name_space = name_space;
    c.directory = options.spool_dir + "/" + n.name;
    if (!n.interface.empty()) c.interface = n.interface;
    if (n.pin_cpu) c.cpu_affinity = *n.pin_cpu;
    for (const auto& [key, value] : n.env_vars) c.env[key] = RemoveShellQuotes(value);
    c.scripts = site_scripts;
    c.addl_user_scripts = n.aux_scripts;
    c.addl_user_scripts.insert(c.addl_user_scripts.end(), options.zeek_args.begin(),
                               options.zeek_args.end());
    c.cluster = plan.cluster;
    c.cluster_backend = plan.backend;
    if (!cfg.standalone) c.stage = StageOf(n.type);
    if (n.type == ZeekNodeType::kManager) {
      const std::string port =
          plan.backend->type == "zeromq"
              ? plan.backend->xsub_endpoint->substr(plan.backend->xsub_endpoint->rfind(':') + 1)
              : std::to_string(plan.cluster.at(n.name).p.port);
      c.ready = "tcp:" + Bracketed(n.addr) + ":" + port;
    }
    plan.nodes.push_back(std::move(p));
  }
  return plan;
}

Result<std::string> LayoutText(const ClusterPlan& plan) {
  if (plan.cluster.empty()) {
    return std::string("# A standalone node: ZeekControl writes no cluster-layout.zeek for it.\n");
  }
  return ClusterLayoutScript(plan.cluster, plan.control_port);
}

}  // namespace zsup::cluster
