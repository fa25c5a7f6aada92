// zsupctl apply FILE [--namespace NS] [--prune] [--dry-run]: the nodes of a
// JSON file (the form `create --file` reads) become the desired state in one
// request; prints what changed, one line per node.
#include <algorithm>
#include <future>
#include <iostream>
#include <memory>

#include "tools/zsupctl/apply.h"
#include "tools/zsupctl/client.h"
#include "tools/zsupctl/commands.h"
#include "tools/zsupctl/create.h"
#include "tools/zsupctl/fleet_select.h"

namespace zsup::ctl {
namespace {

struct ApplyOptions {
  std::string file;
  std::string name_space;
  bool prune = false;
  bool dry_run = false;
  CLI::App* app = nullptr;
};

// With --hosts: each node goes to the host(s) that hold a node of that
// name; nodes no host holds go to the only host (--host NAME picks it).
// With --prune every host gets its apply, so each destroys the nodes of
// the namespace it holds that FILE does not list.
int RunFleet(const ApplyOptions& o, Fleet& fleet, const ApplyRequest& all) {
  auto selected = SelectAcross(fleet, Selection{});
  if (!selected.ok()) return ReportFailure(selected.status());
  std::vector<HostApply> work;
  for (HostNodes& h : selected->hosts) {
    ApplyRequest r = all;
    r.nodes.clear();
    work.push_back({h.host, std::move(r)});
  }
  std::vector<std::string> unplaced;
  for (const NodeConfig& c : all.nodes) {
    bool placed = false;
    for (size_t i = 0; i < work.size(); ++i) {
      if (selected->hosts[i].nodes.nodes.contains(c.name)) {
        work[i].request.nodes.push_back(c);
        placed = true;
      }
    }
    if (!placed) unplaced.push_back(c.name);
  }
  if (!unplaced.empty()) {
    std::string names;
    for (const std::string& n : unplaced) names += (names.empty() ? "" : ", ") + n;
    if (selected->exit != kExitOk) {
      std::cerr << "zsupctl apply: a host did not answer, so it is not known where " << names
                << " live; nothing was applied\n";
      return selected->exit;
    }
    if (fleet.hosts().size() != 1) {
      return UsageError(*o.app, "no host holds " + names +
                                    " yet: say where new nodes go with --host NAME; nothing "
                                    "was applied");
    }
    for (const NodeConfig& c : all.nodes) {
      if (std::find(unplaced.begin(), unplaced.end(), c.name) != unplaced.end()) {
        work.front().request.nodes.push_back(c);
      }
    }
  }
  if (!all.prune) {
    std::erase_if(work, [](const HostApply& w) { return w.request.nodes.empty(); });
  }
  return SendApplies(work, selected->exit);
}

int Run(const ApplyOptions& o, const GlobalOptions& g) {
  if (o.prune && o.name_space.empty()) {
    return UsageError(*o.app, "--prune needs --namespace (the nodes it may destroy)");
  }
  auto configs = ReadConfigFile(*o.app, o.file, "nothing was applied");
  if (!configs) return kExitUsage;
  ApplyRequest request{std::move(*configs)};
  if (!o.name_space.empty()) request.name_space = o.name_space;
  request.prune = o.prune;
  request.dry_run = o.dry_run;
  auto fleet = Fleet::Open(g);
  if (!fleet.ok()) return ReportFailure(fleet.status());
  if (fleet->multi()) return RunFleet(o, *fleet, request);
  return SendApply(request, g);
}

}  // namespace

int SendApply(const ApplyRequest& request, const GlobalOptions& g) {
  auto client = Connect(g);
  if (!client.ok()) return ReportFailure(client.status());
  auto reply = (*client)->Apply(request);
  if (!reply.ok()) return ReportFailure(reply.status());
  PrintApplyReply(*reply, request.dry_run);
  return kExitOk;
}

int SendApplies(std::vector<HostApply>& work, int exit) {
  std::vector<std::future<Result<ApplyReply>>> pending;
  for (HostApply& w : work) {
    pending.push_back(
        std::async(std::launch::async, [&w] { return w.host->client->Apply(w.request); }));
  }
  for (size_t i = 0; i < work.size(); ++i) {
    auto reply = pending[i].get();
    if (!reply.ok()) {
      exit = WorseExit(exit, ReportHostFailure(*work[i].host, reply.status()));
      continue;
    }
    PrintApplyReply(*reply, work[i].request.dry_run, work[i].host->name + ": ");
  }
  return exit;
}

void PrintApplyReply(const ApplyReply& reply, bool dry_run, const std::string& prefix) {
  const std::string would = dry_run ? "would be " : "";
  const struct {
    const char* verb;
    const std::vector<std::string>& names;
    bool change;
  } groups[] = {{"created", reply.created, true},
                {"updated", reply.updated, true},
                {"unchanged", reply.unchanged, false},
                {"destroyed", reply.destroyed, true}};
  for (const auto& group : groups) {
    for (const std::string& name : group.names) {
      std::cout << prefix << (group.change ? would : "") << group.verb << " " << name << "\n";
    }
  }
}

Command AddApply(CLI::App& app) {
  auto o = std::make_shared<ApplyOptions>();
  CLI::App* sub = app.add_subcommand("apply", "Make the nodes of a JSON file the desired state");
  sub->footer(
      "FILE holds one NodeConfig or an array of them, as for `create --file` ('-': stdin). In "
      "one transaction, nodes not yet known are created, known ones whose config differs are "
      "updated (stopped, then started with the new config), identical ones keep running "
      "untouched, and with --prune the other nodes of --namespace are destroyed. If any entry is "
      "invalid nothing changes. Prints one line per node: created, updated, unchanged or "
      "destroyed NAME (with --dry-run: what would be done). With --hosts, each node goes to the "
      "host that holds it, a new one to the host --host names, and each line starts with "
      "its host; each host's apply is its own transaction.");
  o->app = sub;
  sub->add_option("FILE", o->file, "the JSON file")->required();
  sub->add_option("--namespace", o->name_space,
                  "the namespace of these nodes (entries without one get it)");
  sub->add_flag("--prune", o->prune, "destroy the nodes of --namespace that FILE does not list");
  sub->add_flag("--dry-run", o->dry_run, "only say what would be done");
  return {sub, [o](const GlobalOptions& g) { return Run(*o, g); }};
}

}  // namespace zsup::ctl
