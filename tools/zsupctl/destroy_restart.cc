// zsupctl destroy NODE | --all, zsupctl restart NODE | --all.
#include <iostream>
#include <memory>

#include "tools/zsupctl/client.h"
#include "tools/zsupctl/commands.h"

namespace zsup::ctl {
namespace {

struct TargetOptions {
  std::string node;
  bool all = false;
  CLI::App* app = nullptr;
};

using Action = Status (Client::*)(const std::string&);

// `done` is what the success line says: "destroyed" or "restarting".
Command AddTargeted(CLI::App& app, const std::string& name, const std::string& description,
                    const std::string& details, Action action, std::string done) {
  auto o = std::make_shared<TargetOptions>();
  CLI::App* sub = app.add_subcommand(name, description);
  sub->footer(details);
  o->app = sub;
  CLI::Option* node = sub->add_option("NODE", o->node, "the node");
  CLI::Option* all = sub->add_flag("--all", o->all, "every node");
  node->excludes(all);
  auto run = [o, action, done](const GlobalOptions& g) {
    if (o->node.empty() && !o->all) return UsageError(*o->app, "name a NODE or give --all");
    auto client = Connect(g);
    if (!client.ok()) return ReportFailure(client.status());
    Status s = ((**client).*action)(o->all ? "" : o->node);
    if (!s.ok()) return ReportFailure(s);
    std::cout << done << " " << (o->all ? "all nodes" : o->node) << "\n";
    return static_cast<int>(kExitOk);
  };
  return {sub, run};
}

}  // namespace

Command AddDestroy(CLI::App& app) {
  return AddTargeted(app, "destroy", "Stop nodes and forget them",
                     "The node gets SIGTERM, then SIGKILL after zsupd's --stop-timeout. zsupctl "
                     "returns once the node is removed from the desired state; its exit follows "
                     "(see `zsupctl events`).",
                     &Client::Destroy, "destroyed");
}

Command AddRestart(CLI::App& app) {
  return AddTargeted(app, "restart", "Stop nodes and start them again with the same config",
                     "zsupctl returns once zsupd has passed the restart on; the new start follows "
                     "(see `zsupctl events` and `zsupctl status`).",
                     &Client::Restart, "restarting");
}

}  // namespace zsup::ctl
