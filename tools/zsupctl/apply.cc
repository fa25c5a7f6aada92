// zsupctl apply FILE [--namespace NS] [--prune] [--dry-run]: the nodes of a
// JSON file (the form `create --file` reads) become the desired state in one
// request; prints what changed, one line per node.
#include <iostream>
#include <memory>

#include "tools/zsupctl/apply.h"
#include "tools/zsupctl/client.h"
#include "tools/zsupctl/commands.h"
#include "tools/zsupctl/create.h"

namespace zsup::ctl {
namespace {

struct ApplyOptions {
  std::string file;
  std::string name_space;
  bool prune = false;
  bool dry_run = false;
  CLI::App* app = nullptr;
};

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

void PrintApplyReply(const ApplyReply& reply, bool dry_run) {
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
      std::cout << (group.change ? would : "") << group.verb << " " << name << "\n";
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
      "destroyed NAME (with --dry-run: what would be done).");
  o->app = sub;
  sub->add_option("FILE", o->file, "the JSON file")->required();
  sub->add_option("--namespace", o->name_space,
                  "the namespace of these nodes (entries without one get it)");
  sub->add_flag("--prune", o->prune, "destroy the nodes of --namespace that FILE does not list");
  sub->add_flag("--dry-run", o->dry_run, "only say what would be done");
  return {sub, [o](const GlobalOptions& g) { return Run(*o, g); }};
}

}  // namespace zsup::ctl
