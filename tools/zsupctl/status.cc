// zsupctl status [NODE] [--json]: the nodes as a table, or as JSON.
#include <iostream>
#include <memory>

#include "tools/zsupctl/client.h"
#include "tools/zsupctl/commands.h"
#include "tools/zsupctl/format.h"
#include "tools/zsupctl/json_output.h"

namespace zsup::ctl {
namespace {

struct StatusOptions {
  std::string node;
  bool json = false;
};

std::string Uptime(const NodeStatus& s, double now) {
  return s.pid && s.started_at ? FormatDuration(now - *s.started_at) : "-";
}

void PrintTable(const StatusReport& report, double now) {
  if (report.nodes.empty()) {
    std::cout << "no nodes\n";
    return;
  }
  Table table({"NAME", "STATE", "PID", "UPTIME", "RESTARTS", "LAST EXIT"});
  for (const auto& [name, s] : report.nodes) {
    table.AddRow({name, s.state ? std::string(StateName(*s.state)) : "?",
                  s.pid ? std::to_string(*s.pid) : "-", Uptime(s, now),
                  s.restarts ? std::to_string(*s.restarts) : "-",
                  DescribeLastExit(s.last_exit, now)});
  }
  std::cout << table.Render();
  for (const auto& [name, s] : report.nodes) {
    if (s.last_error) std::cout << name << ": last error: " << *s.last_error << "\n";
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
  auto report = (*client)->GetStatus(o.node);
  if (!report.ok()) return ReportFailure(report.status());
  // zsupd answers an unknown name with an empty map.
  if (!o.node.empty() && !report->nodes.contains(o.node)) {
    return ReportFailure(Status::Refused("no node named '" + o.node + "'"));
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
      app.add_subcommand("status", "Show the nodes: state, pid, uptime, restarts, last exit");
  sub->add_option("NODE", o->node, "only this node (exit 1 if there is none)");
  sub->add_flag("--json", o->json,
                "print a JSON array of objects with name, state, pid, started_at, uptime_seconds, "
                "restarts, last_exit {code, signal, signal_name, at}, last_error and config "
                "(Zeek's JSON form); absent values are null");
  return {sub, [o](const GlobalOptions& g) { return Run(*o, g); }};
}

}  // namespace zsup::ctl
