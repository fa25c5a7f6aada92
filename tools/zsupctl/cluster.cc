// zsupctl cluster plan|layout|apply|status: a Zeek cluster from ZeekControl's
// node.cfg (+ zeekctl.cfg), read as ZeekControl reads it (cluster/), as zsup
// nodes of one namespace. docs/zeek.md is the operator's guide.
#include <algorithm>
#include <iostream>
#include <memory>
#include <set>

#include "broker/codec.h"
#include "broker/json.h"
#include "tools/zsupctl/apply.h"
#include "tools/zsupctl/client.h"
#include "tools/zsupctl/cluster/ini.h"
#include "tools/zsupctl/cluster/plan.h"
#include "tools/zsupctl/commands.h"
#include "tools/zsupctl/fleet_select.h"
#include "tools/zsupctl/format.h"

namespace zsup::ctl {
namespace {

constexpr size_t kDefaultMaxRequestBytes = 16 << 20;  // zsupd's --max-request-bytes

struct ClusterOptions {
  std::string node_cfg;
  std::string zeekctl_cfg;
  std::string name_space = cluster::kDefaultNamespace;
  bool dry_run = false;
  CLI::App* plan = nullptr;
  CLI::App* layout = nullptr;
  CLI::App* apply = nullptr;
  CLI::App* status = nullptr;
};

// The plan of the files, or nullopt after reporting what is wrong (exit 2).
std::optional<cluster::ClusterPlan> LoadPlan(const ClusterOptions& o, const CLI::App& command) {
  cluster::ZeekctlOptions options = cluster::DefaultZeekctlOptions();
  if (!o.zeekctl_cfg.empty()) {
    auto text = cluster::ReadTextFile(o.zeekctl_cfg);
    auto parsed = text.ok() ? cluster::ParseZeekctlCfg(*text, o.zeekctl_cfg)
                            : Result<cluster::ZeekctlOptions>(text.status());
    if (!parsed.ok()) {
      UsageError(command, parsed.error());
      return std::nullopt;
    }
    options = std::move(*parsed);
  }
  auto text = cluster::ReadTextFile(o.node_cfg);
  if (!text.ok()) {
    UsageError(command, text.error());
    return std::nullopt;
  }
  auto cfg = cluster::ReadNodeCfg(*text, o.node_cfg, options);
  if (!cfg.ok()) {
    UsageError(command, cfg.error());
    return std::nullopt;
  }
  for (const std::string& w : cfg->warnings) std::cerr << "zsupctl: warning: " << w << "\n";
  auto plan = cluster::PlanCluster(*cfg, options, o.name_space);
  if (!plan.ok()) {
    UsageError(command, o.node_cfg + ": " + plan.error());
    return std::nullopt;
  }
  return std::move(*plan);
}

std::vector<const cluster::PlannedNode*> Remote(const cluster::ClusterPlan& plan) {
  std::vector<const cluster::PlannedNode*> remote;
  for (const cluster::PlannedNode& n : plan.nodes) {
    if (!n.local) remote.push_back(&n);
  }
  return remote;
}

int RunPlan(const ClusterOptions& o) {
  auto plan = LoadPlan(o, *o.plan);
  if (!plan) return kExitUsage;
  // One node per line: still one JSON array, and easy to grep or diff.
  std::cout << "[\n";
  for (size_t i = 0; i < plan->nodes.size(); ++i) {
    std::cout << NodeConfigToJson(plan->nodes[i].config)
              << (i + 1 < plan->nodes.size() ? ",\n" : "\n");
  }
  std::cout << "]\n";
  std::set<std::string> addrs;
  for (const cluster::PlannedNode& n : plan->nodes) addrs.insert(n.source.addr);
  if (addrs.size() > 1 && plan->backend && plan->backend->type == "zeromq") {
    std::cerr << "zsupctl: warning: the cluster spans " << addrs.size()
              << " addresses and zsup does not set up CURVE for ZeroMQ (ZeekControl would): its "
                 "traffic between hosts would be unencrypted\n";
  }
  for (const cluster::PlannedNode* n : Remote(*plan)) {
    std::cerr << "zsupctl: note: " << n->config.name << " runs on " << n->source.addr << " (host "
              << n->source.host << "), not this machine: `cluster apply` sends it to that "
              << "host's zsupd when --hosts names it\n";
  }
  return kExitOk;
}

int RunLayout(const ClusterOptions& o) {
  auto plan = LoadPlan(o, *o.layout);
  if (!plan) return kExitUsage;
  auto text = cluster::LayoutText(*plan);
  if (!text.ok()) return UsageError(*o.layout, o.node_cfg + ": " + text.error());
  std::cout << *text;
  return kExitOk;
}

// Every node carries the whole cluster table, so a request grows with the
// square of the node count (~100 bytes per node and entry).
void NoteRequestSize(const ApplyRequest& request) {
  const size_t bytes = EncodeRequest(request).size();
  if (bytes > kDefaultMaxRequestBytes) {
    std::cerr << "zsupctl cluster apply: note: this apply is " << (bytes >> 20)
              << " MiB; zsupd closes the connection on requests above its --max-request-bytes "
                 "(default 16 MiB), which then looks like a zsupd that does not answer\n";
  }
}

// The host of the fleet a node runs on: the section named as its node.cfg
// host= (or its address), else this machine's zsupd when it is local.
FleetHost* HostOf(Fleet& fleet, const cluster::PlannedNode& n) {
  if (FleetHost* h = fleet.Find(n.source.host)) return h;
  if (FleetHost* h = fleet.Find(n.source.addr)) return h;
  if (!n.local) return nullptr;
  for (FleetHost& h : fleet.hosts()) {
    if (h.local) return &h;
  }
  return nullptr;
}

// With --hosts: each host's zsupd gets the nodes node.cfg puts there, in
// one apply with prune each (so a node moved to another host is destroyed
// where it was). Nothing is sent when a node's host has no section.
int ApplyAcross(const ClusterOptions& o, const GlobalOptions& g, Fleet& fleet,
                const cluster::ClusterPlan& plan) {
  bool needs_local = false;
  for (const cluster::PlannedNode& n : plan.nodes) {
    needs_local = needs_local || (fleet.Find(n.source.host) == nullptr &&
                                  fleet.Find(n.source.addr) == nullptr && n.local);
  }
  if (needs_local) {  // before taking pointers: this may add a host
    auto local = fleet.Local(g);
    if (!local.ok()) return ReportFailure(local.status());
  }
  std::vector<HostApply> work;
  for (FleetHost& h : fleet.hosts()) {
    ApplyRequest r;
    r.name_space = o.name_space;
    r.prune = true;
    r.dry_run = o.dry_run;
    work.push_back({&h, std::move(r)});
  }
  std::vector<const cluster::PlannedNode*> homeless;
  for (const cluster::PlannedNode& n : plan.nodes) {
    FleetHost* h = HostOf(fleet, n);
    if (h == nullptr) {
      homeless.push_back(&n);
      continue;
    }
    work[static_cast<size_t>(h - fleet.hosts().data())].request.nodes.push_back(n.config);
  }
  if (!homeless.empty()) {
    std::cerr << "zsupctl cluster apply: " << homeless.size() << " of " << plan.nodes.size()
              << " nodes run on hosts the hosts file has no section for; nothing was applied:\n";
    for (const cluster::PlannedNode* n : homeless) {
      std::cerr << "  " << n->config.name << ": host " << n->source.host << " (" << n->source.addr
                << ")\n";
    }
    return kExitUsage;
  }
  for (const HostApply& w : work) NoteRequestSize(w.request);
  return SendApplies(work, kExitOk);
}

int RunApply(const ClusterOptions& o, const GlobalOptions& g) {
  auto plan = LoadPlan(o, *o.apply);
  if (!plan) return kExitUsage;
  auto fleet = Fleet::Open(g);
  if (!fleet.ok()) return ReportFailure(fleet.status());
  if (fleet->multi()) return ApplyAcross(o, g, *fleet, *plan);
  if (auto remote = Remote(*plan); !remote.empty()) {
    std::cerr << "zsupctl cluster apply: " << remote.size() << " of " << plan->nodes.size()
              << " nodes run on other hosts; nothing was applied (name each host's zsupd in a "
                 "--hosts file to apply to all of them):\n";
    for (const cluster::PlannedNode* n : remote) {
      std::cerr << "  " << n->config.name << ": host " << n->source.host << " (" << n->source.addr
                << ") is not this machine\n";
    }
    return kExitUsage;
  }
  ApplyRequest request{plan->Configs()};
  request.name_space = o.name_space;
  request.prune = true;
  request.dry_run = o.dry_run;
  NoteRequestSize(request);
  return SendApply(request, g);
}

// The role of a node in its own cluster table ("-" for none).
std::string RoleOf(const std::string& name, const NodeConfig& c) {
  auto it = c.cluster.find(name);
  if (it == c.cluster.end()) return "-";
  std::string role(RoleName(it->second.role));
  std::transform(role.begin(), role.end(), role.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return role;
}

int RunStatus(const ClusterOptions& o, const GlobalOptions& g) {
  auto fleet = Fleet::Open(g);
  if (!fleet.ok()) return ReportFailure(fleet.status());
  Selection sel;
  sel.name_space = o.name_space;
  auto selected = SelectAcross(*fleet, sel);
  if (!selected.ok()) return ReportFailure(selected.status());
  if (selected->NodeCount() == 0) {
    std::cout << "no nodes in namespace '" << o.name_space << "'\n";
    return selected->exit;
  }
  // Stage order, then ZeekControl's role order, then the node's port.
  static const std::vector<std::string> kRoles = {"logger", "manager", "proxy", "worker"};
  struct Row {
    int64_t stage;
    size_t role;
    uint16_t port;
    const std::string* name;
    const NodeStatus* status;
    const std::string* host;
  };
  std::vector<Row> rows;
  for (const HostNodes& h : selected->hosts) {
    for (const auto& [name, s] : h.nodes.nodes) {
      const std::string role = RoleOf(name, s.node);
      const size_t rank = std::find(kRoles.begin(), kRoles.end(), role) - kRoles.begin();
      auto it = s.node.cluster.find(name);
      rows.push_back({s.node.stage.value_or(0), rank,
                      it == s.node.cluster.end() ? uint16_t{0} : it->second.p.port, &name, &s,
                      &h.host->name});
    }
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::tie(a.stage, a.role, a.port, *a.name, *a.host) <
           std::tie(b.stage, b.role, b.port, *b.name, *b.host);
  });
  const double now = WallNow();
  const bool with_host = fleet->multi();
  std::vector<std::string> header = {"NAME", "ROLE",      "STAGE",    "STATE", "READY",
                                     "PID",  "PORT",      "INTERFACE", "LAST EXIT"};
  if (with_host) header.insert(header.begin() + 1, "HOST");
  Table table(header);
  for (const Row& r : rows) {
    const NodeStatus& s = *r.status;
    std::vector<std::string> row = {
        *r.name, RoleOf(*r.name, s.node), std::to_string(r.stage),
        s.state ? std::string(StateName(*s.state)) : "?",
        !s.pid || !s.ready ? "-" : (*s.ready ? "yes" : "no"),
        s.pid ? std::to_string(*s.pid) : "-", r.port != 0 ? std::to_string(r.port) : "-",
        s.node.interface.value_or("-"), DescribeLastExit(s.last_exit, now)};
    if (with_host) row.insert(row.begin() + 1, *r.host);
    table.AddRow(std::move(row));
  }
  std::cout << table.Render();
  for (const Row& r : rows) {
    if (r.status->failed_reason)
      std::cerr << *r.name << ": failed: " << *r.status->failed_reason << "\n";
    if (r.status->last_error)
      std::cerr << *r.name << ": last error: " << *r.status->last_error << "\n";
  }
  return selected->exit;
}

void AddFileOptions(CLI::App* sub, ClusterOptions& o) {
  sub->add_option("NODE_CFG", o.node_cfg, "ZeekControl's node.cfg ('-': standard input)")
      ->required();
  sub->add_option("--zeekctl-cfg", o.zeekctl_cfg,
                  "ZeekControl's zeekctl.cfg, for ZeekPort, MetricsPort, ClusterBackend, "
                  "SpoolDir, ZeekBase, ZeekArgs, SitePolicyScripts, env_vars and the PF_RING "
                  "options (default: ZeekControl's defaults)");
}

}  // namespace

Command AddCluster(CLI::App& app) {
  auto o = std::make_shared<ClusterOptions>();
  CLI::App* sub = app.add_subcommand(
      "cluster", "Run a Zeek cluster from ZeekControl's node.cfg (see docs/zeek.md)");
  sub->require_subcommand(1);
  sub->footer(
      "The nodes get ZeekControl's names, ports (ZeekPort, MetricsPort, the ZeroMQ backend's "
      "two proxy ports), interfaces, CPU pins and environment, a directory of "
      "<SpoolDir>/<node>, and start in stages: loggers and manager, then proxies once the "
      "manager accepts connections, then workers. Exit 2 (nothing done) on a bad file.");
  o->plan = sub->add_subcommand("plan",
                                "Print the nodes as JSON, in the form `create --file` "
                                "and `apply` read");
  AddFileOptions(o->plan, *o);
  o->plan->add_option("--namespace", o->name_space, "the nodes' namespace")->capture_default_str();
  o->layout =
      sub->add_subcommand("layout", "Print the cluster-layout.zeek ZeekControl would write");
  AddFileOptions(o->layout, *o);
  o->apply = sub->add_subcommand(
      "apply", "Make the cluster the namespace's desired state in one apply (with prune)");
  AddFileOptions(o->apply, *o);
  o->apply
      ->add_option("--namespace", o->name_space,
                   "the cluster's namespace: its nodes that NODE_CFG does not list are "
                   "destroyed")
      ->capture_default_str();
  o->apply->add_flag("--dry-run", o->dry_run, "only say what would be done");
  o->apply->footer(
      "Prints one line per node: created, updated, unchanged or destroyed NAME. A node whose "
      "host is not this machine needs --hosts FILE naming that host (else nothing is applied); "
      "then each host's zsupd gets its nodes in its own apply (with prune, so every host in "
      "FILE gets one), and each line starts with the host.");
  o->status = sub->add_subcommand("status", "Show a cluster's nodes by stage and role");
  o->status->add_option("NAMESPACE", o->name_space, "the cluster's namespace")
      ->capture_default_str();
  return {sub, [o](const GlobalOptions& g) {
            if (o->plan->parsed()) return RunPlan(*o);
            if (o->layout->parsed()) return RunLayout(*o);
            if (o->apply->parsed()) return RunApply(*o, g);
            return RunStatus(*o, g);
          }};
}

}  // namespace zsup::ctl
