// zsupctl status [NODE] [--json]: the nodes as a table, or as JSON.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <string_view>

#include "tools/zsupctl/client.h"
#include "tools/zsupctl/commands.h"
#include "tools/zsupctl/fleet_select.h"
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

// Colour only for a person at a terminal (https://no-color.org).
bool UseColor() {
  const char* no_color = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  return ::isatty(STDOUT_FILENO) == 1 && (no_color == nullptr || *no_color == '\0') &&
         !(term != nullptr && std::string_view(term) == "dumb");
}

Color ColorOf(NodeState state, const NodeStatus& s) {
  switch (state) {
    case NodeState::kRunning:
      return s.ready.value_or(true) ? Color::kGreen : Color::kYellow;
    case NodeState::kStarting:
    case NodeState::kBackoff:
    case NodeState::kStopping:
    case NodeState::kWaiting:
      return Color::kYellow;
    case NodeState::kExited:
    case NodeState::kFailed:
      return Color::kRed;
    case NodeState::kStopped:
      return Color::kDim;
  }
  return Color::kNone;
}

// The names of a host's nodes as a person sorts them ("w2" before "w10").
std::vector<const std::string*> Sorted(const StatusReport& report) {
  std::vector<const std::string*> names;
  for (const auto& [name, s] : report.nodes) names.push_back(&name);
  std::sort(names.begin(), names.end(),
            [](const std::string* a, const std::string* b) { return NaturalLess(*a, *b); });
  return names;
}

// One row per node, in host order then natural name order; the HOST column
// only with several hosts ("" names the only one). Then the summary line;
// failures, last errors and status texts go to stderr.
void PrintTable(const std::vector<HostNodes>& hosts, bool with_host, double now) {
  std::vector<std::string> header = {"NAME", "STATE", "READY", "PID", "UPTIME", "RESTARTS",
                                     "LAST EXIT"};
  if (with_host) header.insert(header.begin(), "HOST");
  Table table(header);
  size_t rows = 0;
  const bool color = UseColor();
  for (const HostNodes& h : hosts) {
    for (const std::string* node : Sorted(h.nodes)) {
      const std::string& name = *node;
      const NodeStatus& s = h.nodes.nodes.at(name);
      std::string state = s.state ? std::string(StateName(*s.state)) : "?";
      if (color && s.state) state = Colored(state, ColorOf(*s.state, s));
      std::vector<std::string> row = {name, state,
                                      Ready(s), s.pid ? std::to_string(*s.pid) : "-",
                                      Uptime(s, now), s.restarts ? std::to_string(*s.restarts) : "-",
                                      DescribeLastExit(s.last_exit, now)};
      if (with_host) row.insert(row.begin(), h.host->name);
      table.AddRow(std::move(row));
      ++rows;
    }
  }
  if (rows == 0) {
    std::cout << "no nodes\n";
    return;
  }
  std::vector<const StatusReport*> reports;
  for (const HostNodes& h : hosts) reports.push_back(&h.nodes);
  std::cout << table.Render() << StatusSummary(reports, with_host ? hosts.size() : 1) << "\n"
            << std::flush;
  for (const HostNodes& h : hosts) {
    const std::string at = with_host ? " (" + h.host->name + ")" : "";
    for (const std::string* node : Sorted(h.nodes)) {
      const NodeStatus& s = h.nodes.nodes.at(*node);
      if (s.failed_reason) std::cerr << *node << at << ": failed: " << *s.failed_reason << "\n";
      if (s.last_error) std::cerr << *node << at << ": last error: " << *s.last_error << "\n";
      if (s.status_text) std::cerr << *node << at << ": status: " << *s.status_text << "\n";
    }
  }
}

// With several hosts each object starts with "host".
void PrintJson(const std::vector<HostNodes>& hosts, bool with_host, double now) {
  nlohmann::ordered_json nodes = nlohmann::ordered_json::array();
  for (const HostNodes& h : hosts) {
    for (const std::string* name : Sorted(h.nodes)) {
      nlohmann::ordered_json node = NodeStatusJson(*name, h.nodes.nodes.at(*name), now);
      if (with_host) {
        nlohmann::ordered_json with = {{"host", h.host->name}};
        with.update(node);
        node = std::move(with);
      }
      nodes.push_back(std::move(node));
    }
  }
  std::cout << DumpJson(nodes, 2) << "\n";
}

void Print(const StatusOptions& o, const std::vector<HostNodes>& hosts, bool with_host) {
  const double now = WallNow();
  if (o.json) {
    PrintJson(hosts, with_host, now);
  } else {
    PrintTable(hosts, with_host, now);
  }
}

// Several hosts: every host's nodes, then the hosts that did not answer.
int RunFleet(const StatusOptions& o, Fleet& fleet) {
  auto selected = SelectAcross(fleet, o.selection);
  if (!selected.ok()) return ReportFailure(selected.status());
  Print(o, selected->hosts, true);
  return selected->exit;
}

int Run(const StatusOptions& o, const GlobalOptions& g) {
  auto fleet = Fleet::Open(g);
  if (!fleet.ok()) return ReportFailure(fleet.status());
  if (fleet->multi()) return RunFleet(o, *fleet);
  Client& client = *fleet->hosts().front().client;
  Selection sel = o.selection;
  auto names = ExpandGlobs(client, sel.nodes);
  if (!names.ok()) return ReportFailure(names.status());
  sel.nodes = std::move(*names);
  auto report = client.GetStatus(SelectorRequest<StatusRequest>(sel));
  if (!report.ok()) return ReportFailure(report.status());
  // zsupd answers one unknown `node` with an empty map.
  if (sel.nodes.size() == 1 && !report->nodes.contains(sel.nodes.front())) {
    return ReportFailure(Status::Refused("no node named '" + sel.nodes.front() + "'"));
  }
  Print(o, {HostNodes{&fleet->hosts().front(), std::move(*report)}}, false);
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
                "restarts, last_exit {code, signal, signal_name, at, commanded}, last_error, "
                "desired, next_start_at, ready, failed_reason, status_text and config (Zeek's "
                "JSON form); absent values are null. With --hosts each object starts with host");
  return {sub, [o](const GlobalOptions& g) { return Run(*o, g); }};
}

}  // namespace zsup::ctl
