// zsupctl destroy | restart | stop | start  NODE... | --namespace NS | --all.
#include <iostream>
#include <memory>

#include "tools/zsupctl/client.h"
#include "tools/zsupctl/commands.h"

namespace zsup::ctl {
namespace {

struct TargetOptions {
  std::vector<std::string> nodes;
  std::string name_space;
  bool all = false;
  CLI::App* app = nullptr;
};

// The request for the selection: one name as `node` (understood by every
// zsupd), several as `nodes`, a namespace as `namespace`, --all as "".
template <typename RequestT>
RequestT Build(const TargetOptions& o) {
  RequestT r;
  if (!o.name_space.empty()) {
    r.name_space = o.name_space;
  } else if (o.nodes.size() > 1) {
    r.nodes = o.nodes;
  } else if (!o.nodes.empty()) {
    r.node = o.nodes.front();
  }
  return r;
}

std::string Described(const TargetOptions& o) {
  if (o.all) return "all nodes";
  if (!o.name_space.empty()) return "the nodes of namespace " + o.name_space;
  std::string out;
  for (const std::string& n : o.nodes) out += (out.empty() ? "" : " ") + n;
  return out;
}

// `done` is what the success line says: "destroyed", "restarting", ...
template <typename RequestT>
Command AddTargeted(CLI::App& app, const std::string& name, const std::string& description,
                    const std::string& details, std::string done) {
  auto o = std::make_shared<TargetOptions>();
  CLI::App* sub = app.add_subcommand(name, description);
  sub->footer(details);
  o->app = sub;
  CLI::Option* nodes = sub->add_option("NODE", o->nodes, "the nodes (one or more)");
  CLI::Option* ns = sub->add_option("--namespace", o->name_space, "every node of this namespace");
  CLI::Option* all = sub->add_flag("--all", o->all, "every node");
  nodes->excludes(all)->excludes(ns);
  ns->excludes(all);
  auto run = [o, done](const GlobalOptions& g) {
    if (o->nodes.empty() && !o->all && o->name_space.empty()) {
      return UsageError(*o->app, "name a NODE, or give --namespace NS or --all");
    }
    auto client = Connect(g);
    if (!client.ok()) return ReportFailure(client.status());
    Status s = (**client).Send(Build<RequestT>(*o));
    if (!s.ok()) return ReportFailure(s);
    std::cout << done << " " << Described(*o) << "\n";
    return static_cast<int>(kExitOk);
  };
  return {sub, run};
}

}  // namespace

Command AddDestroy(CLI::App& app) {
  return AddTargeted<DestroyRequest>(
      app, "destroy", "Stop nodes and forget them",
      "The node gets its stop signal (SIGTERM unless its config says otherwise), then SIGKILL "
      "after its stop timeout. zsupctl returns once the node is removed from the desired state; "
      "its exit follows (see `zsupctl events`). Several names are one request: an unknown one "
      "changes nothing.",
      "destroyed");
}

Command AddRestart(CLI::App& app) {
  return AddTargeted<RestartRequest>(
      app, "restart", "Stop nodes and start them again with the same config",
      "zsupctl returns once zsupd has passed the restart on; the new start follows (see "
      "`zsupctl events` and `zsupctl status`). A stopped node is started.",
      "restarting");
}

Command AddStop(CLI::App& app) {
  return AddTargeted<StopRequest>(
      app, "stop", "Stop nodes and keep them stopped, with their config",
      "A stopped node stays in `zsupctl status` as `stopped` and is not started again by "
      "revival, by a new stem or by a zsupd restart, until `zsupctl start` or `restart`. "
      "zsupctl returns once that is committed; the exit follows (see `zsupctl events`).",
      "stopping");
}

Command AddStart(CLI::App& app) {
  return AddTargeted<StartRequest>(
      app, "start", "Start stopped nodes",
      "Nodes that are running are left alone. zsupctl returns once that is committed; the "
      "start follows (see `zsupctl events` and `zsupctl status`).",
      "starting");
}

}  // namespace zsup::ctl
