// zsupctl status [NODE] [--json]: the nodes as a table, or as JSON.
#include <iostream>
#include <memory>

#include "tools/zsupctl/client.h"
#include "tools/zsupctl/commands.h"
#include "tools/zsupctl/format.h"
#include "tools/zsupctl/json_output.h"
#include "tools/zsupctl/selection.h"

namespace zsup::ctl {
namespace {

struct StatusOptions {
  Selection selection;
  bool json = false;
};

std::string Ready(const NodeStatus& s) {
  if (!s.pid || !s.ready) return "-";
  return *s.ready ? "yes" : "no";
}

std::string Uptime(const NodeStatus& s, double now) {
  return s.pid && s.started_at ? FormatDuration(now - *s.started_at) : "-";
}

void PrintTable(const StatusReport& report, double now) {
  if (report.nodes.empty()) {
    std::cout << "no nodes\n";
    return;
  }
  Table table({"NAME", "STATE", "READY", "PID", "UPTIME", "RESTARTS", "LAST EXIT"});
  for (const auto& [name, s] : report.nodes) {
    table.AddRow({name, s.state ? std::string(StateName(*s.state)) : "?", Ready(s),
                  s.pid ? std::to_string(*s.pid) : "-", Uptime(s, now),
                  s.restarts ? std::to_string(*s.restarts) : "-",
                  DescribeLastExit(s.last_exit, now)});
  }
  std::cout << table.Render();
  for (const auto& [name, s] : report.nodes) {
    if (s.failed_reason) std::cout << name << ": failed: " << *s.failed_reason << "\n";
    if (s.last_error) std::cout << name << ": last error: " << *s.last_error << "\n";
    if (s.status_text) std::cout << name << ": status: " << *s.status_text << "\n";
  }
}

void PrintJson(const StatusReport& report, double now) {
  nlohmann::ordered_json nodes = nlohmann::ordered_json::array();
  for (const auto& [name, s] : report.nodes) nodes.push_back(NodeStatusJson(name, s, now));
  std::cout << DumpJson(nodes, 2) << "\n";
}

int Run(const StatusOptions& o, const GlobalOptions& g) {
  auto client = Connect(g);
  if (!client.ok()) return ReportFailure(client.status());
  Selection sel = o.selection;
  auto names = ExpandGlobs(**client, sel.nodes);
  if (!names.ok()) return ReportFailure(names.status());
  sel.nodes = std::move(*names);
  auto report = (*client)->GetStatus(SelectorRequest<StatusRequest>(sel));
  if (!report.ok()) return ReportFailure(report.status());
  // zsupd answers one unknown `node` with an empty map.
  if (sel.nodes.size() == 1 && !report->nodes.contains(sel.nodes.front())) {
    return ReportFailure(Status::Refused("no node named '" + sel.nodes.front() + "'"));
  }
  const double now = WallNow();
  if (o.json) {
    PrintJson(*report, now);
  } else {
    PrintTable(*report, now);
  }
  return kExitOk;
}

}  // namespace

Command AddStatus(CLI::App& app) {
  auto o = std::make_shared<StatusOptions>();
  CLI::App* sub =
      app.add_subcommand("status", "Show the nodes: state, readiness, pid, uptime, restarts, last exit");
  sub->add_option("NODE", o->selection.nodes,
                  "only these nodes: names or shell-style globs ('worker-*'); exit 1 if one is "
                  "unknown or a glob matches nothing");
  sub->add_option("--namespace", o->selection.name_space, "only the nodes of this namespace")
      ->excludes("NODE");
  sub->add_flag("--json", o->json,
                "print a JSON array of objects with name, state, pid, started_at, uptime_seconds, "
                "restarts, last_exit {code, signal, signal_name, at}, last_error, desired, "
                "next_start_at, ready, failed_reason, status_text and config (Zeek's JSON "
                "form); absent values are null");
  return {sub, [o](const GlobalOptions& g) { return Run(*o, g); }};
}

}  // namespace zsup::ctl
