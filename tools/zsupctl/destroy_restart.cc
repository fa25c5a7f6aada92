// zsupctl destroy | restart | stop | start | reopen  NODE... | --namespace NS | --all.
#include <future>
#include <iostream>
#include <memory>
#include <optional>
#include <type_traits>

#include "base/cli_errors.h"
#include "tools/zsupctl/client.h"
#include "tools/zsupctl/commands.h"
#include "tools/zsupctl/fleet_select.h"
#include "tools/zsupctl/selection.h"
#include "tools/zsupctl/waiter.h"

namespace zsup::ctl {
namespace {

struct TargetOptions {
  Selection selection;
  bool wait = false;
  double wait_timeout = 60;
  CLI::App* app = nullptr;
};

std::string Described(const Selection& s) {
  if (s.all) return "all nodes";
  if (!s.name_space.empty()) return "the nodes of namespace " + s.name_space;
  std::string out;
  for (const std::string& n : s.nodes) out += (out.empty() ? "" : " ") + n;
  return out;
}

std::chrono::milliseconds WaitTimeout(const TargetOptions& o) {
  return std::chrono::milliseconds(static_cast<int64_t>(o.wait_timeout * 1000));
}

// Several hosts: the request goes to each host that holds selected nodes
// (for --all and --namespace, to every host), naming its nodes; a host that
// fails is reported and the others go on. Prints "HOST: DONE NODES" per host.
template <typename RequestT>
int RunOnFleet(Fleet& fleet, const TargetOptions& o, const Selection& sel, const std::string& done,
               std::optional<WaitGoal> goal) {
  auto selected = SelectAcross(fleet, sel);
  if (!selected.ok()) return ReportFailure(selected.status());
  const bool whole = sel.all || !sel.name_space.empty();
  std::vector<HostNodes*> work;
  for (HostNodes& h : selected->hosts) {
    if (whole || !h.nodes.nodes.empty()) work.push_back(&h);
  }
  std::vector<int> exits(work.size(), kExitOk);
  std::vector<std::future<void>> pending;
  for (size_t i = 0; i < work.size(); ++i) {
    pending.push_back(std::async(std::launch::async, [&, i] {
      HostNodes& h = *work[i];
      Selection mine = sel;
      if (!whole) mine.nodes = h.Names();
      std::unique_ptr<Waiter> waiter;
      if (o.wait && !h.nodes.nodes.empty()) {
        StatusRequest which;
        which.nodes = h.Names();
        auto w = Waiter::Begin(*h.host->client, which, *which.nodes, *goal,
                               std::is_same_v<RequestT, RestartRequest>, h.host->local);
        if (!w.ok()) {
          exits[i] = ReportHostFailure(*h.host, w.status());
          return;
        }
        waiter = std::move(*w);
      }
      Status s = h.host->client->Send(SelectorRequest<RequestT>(mine));
      if (s.ok() && waiter) s = waiter->Wait(WaitTimeout(o));
      if (!s.ok()) exits[i] = ReportHostFailure(*h.host, s);
    }));
  }
  for (auto& p : pending) p.get();
  int exit = selected->exit;
  for (size_t i = 0; i < work.size(); ++i) {
    exit = WorseExit(exit, exits[i]);
    if (exits[i] != kExitOk) continue;
    const std::string what = whole ? Described(sel) : Described(Selection{.nodes = work[i]->Names(), .name_space = "", .all = false});
    std::cout << work[i]->host->name << ": " << done << " " << what << "\n";
  }
  return exit;
}

// `done` is what the success line says: "destroyed", "restarting", ...
// Without `goal` there is no --wait, and no NODE means every node.
template <typename RequestT>
Command AddTargeted(CLI::App& app, const std::string& name, const std::string& description,
                    const std::string& details, std::string done, std::optional<WaitGoal> goal,
                    const std::string& wait_help) {
  auto o = std::make_shared<TargetOptions>();
  CLI::App* sub = app.add_subcommand(name, description);
  sub->footer(details +
              " NODE may be a shell-style glob ('worker-*', quoted), matched against the names "
              "in `zsupctl status`; one that matches nothing is an error.");
  o->app = sub;
  Selection& given = o->selection;
  CLI::Option* nodes = sub->add_option("NODE", given.nodes, "the nodes (one or more names or globs)");
  CLI::Option* ns = sub->add_option("--namespace", given.name_space, "every node of this namespace");
  CLI::Option* all = sub->add_flag("--all", given.all, "every node");
  nodes->excludes(all)->excludes(ns);
  ns->excludes(all);
  if (goal) {
    sub->add_flag("--wait", o->wait, wait_help);
    sub->add_option("--wait-timeout", o->wait_timeout,
                    "how long --wait waits, in seconds (default 60); then exit 1")
        ->check(cli::Positive());
  }
  auto run = [o, done, goal](const GlobalOptions& g) {
    Selection sel = o->selection;
    if (sel.nodes.empty() && !sel.all && sel.name_space.empty()) {
      if (goal) return UsageError(*o->app, "name a NODE, or give --namespace NS or --all");
      sel.all = true;
    }
    auto fleet = Fleet::Open(g);
    if (!fleet.ok()) return ReportFailure(fleet.status());
    if (fleet->multi()) return RunOnFleet<RequestT>(*fleet, *o, sel, done, goal);
    Client& c = *fleet->hosts().front().client;
    auto names = ExpandGlobs(c, sel.nodes);
    if (!names.ok()) return ReportFailure(names.status());
    sel.nodes = std::move(*names);
    std::unique_ptr<Waiter> waiter;
    if (o->wait) {  // subscribed before the command: no change is missed
      auto w = Waiter::Begin(c, SelectorRequest<StatusRequest>(sel), sel.nodes, *goal,
                             std::is_same_v<RequestT, RestartRequest>,
                             c.endpoints().control.starts_with("ipc://"));
      if (!w.ok()) return ReportFailure(w.status());
      waiter = std::move(*w);
    }
    Status s = c.Send(SelectorRequest<RequestT>(sel));
    if (!s.ok()) return ReportFailure(s);
    std::cout << done << " " << Described(sel) << "\n" << std::flush;
    if (waiter) {
      s = waiter->Wait(WaitTimeout(*o));
      if (!s.ok()) return ReportFailure(s);
    }
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
      "destroyed", WaitGoal::kGone, "return once their processes are gone");
}

Command AddRestart(CLI::App& app) {
  return AddTargeted<RestartRequest>(
      app, "restart", "Stop nodes and start them again with the same config",
      "zsupctl returns once zsupd has passed the restart on; the new start follows (see "
      "`zsupctl events` and `zsupctl status`). A stopped node is started.",
      "restarting", WaitGoal::kRunning,
      "return once each runs again with a new process and is ready (exit 1 if one fails)");
}

Command AddStop(CLI::App& app) {
  return AddTargeted<StopRequest>(
      app, "stop", "Stop nodes and keep them stopped, with their config",
      "A stopped node stays in `zsupctl status` as `stopped` and is not started again by "
      "revival, by a new stem or by a zsupd restart, until `zsupctl start` or `restart`. "
      "zsupctl returns once that is committed; the exit follows (see `zsupctl events`).",
      "stopping", WaitGoal::kStopped, "return once no process of theirs is left");
}

Command AddStart(CLI::App& app) {
  return AddTargeted<StartRequest>(
      app, "start", "Start stopped nodes",
      "Nodes that are running are left alone. zsupctl returns once that is committed; the "
      "start follows (see `zsupctl events` and `zsupctl status`).",
      "starting", WaitGoal::kRunning, "return once each runs and is ready (exit 1 if one fails)");
}

Command AddReopen(CLI::App& app) {
  return AddTargeted<ReopenRequest>(
      app, "reopen", "Reopen the output files of nodes (after logrotate moved them)",
      "Without NODE, every node. The stem closes each node's --stdout-file / --stderr-file and "
      "opens the path again (appending, created if missing), so output goes to the new file; "
      "nothing written before is lost. For logrotate, in the postrotate script: "
      "`zsupctl reopen` (see docs/execution.md). A file that cannot be opened shows as the "
      "node's last error in `zsupctl status`.",
      "reopening the files of", std::nullopt, "");
}

}  // namespace zsup::ctl
