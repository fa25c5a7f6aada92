// zsupctl show NODE... [-n N] [--json]: everything about a few nodes, a
// block each (systemctl status' role): state, config, recent exits and the
// last stderr lines. The block itself is show_format.h's.
#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "base/cli_errors.h"
#include "tools/zsupctl/client.h"
#include "tools/zsupctl/commands.h"
#include "tools/zsupctl/endpoints.h"
#include "tools/zsupctl/fleet_select.h"
#include "tools/zsupctl/format.h"
#include "tools/zsupctl/json_output.h"
#include "tools/zsupctl/selection.h"
#include "tools/zsupctl/show_format.h"
#include "tools/zsupctl/tail_format.h"

namespace zsup::ctl {
namespace {

struct ShowOptions {
  std::vector<std::string> nodes;  // names or globs
  int64_t lines = 10;              // stderr lines per node
  bool json = false;
};

// A `detail` status of exactly `names`. A zsupd from before `detail`
// refuses the field: then the plain status (one exit, the last).
Result<StatusReport> DetailedStatus(Client& client, const std::vector<std::string>& names) {
  StatusRequest request = SelectorRequest<StatusRequest>(Selection{names, "", false});
  request.detail = true;
  auto report = client.GetStatus(request);
  if (!report.ok() && report.status().code() == Status::Code::kRefused &&
      report.status().message().find("'detail'") != std::string::npos) {
    request.detail = false;
    report = client.GetStatus(request);
  }
  return report;
}

// The recent stderr lines of `d`, or why there are none to show.
void AddStderr(FleetHost& host, const ShowOptions& o, const GlobalOptions& g, NodeDetail& d) {
  if (auto file = UnpublishedFile(d.status.node, Stream::kStderr)) {
    // Another host's state directory is not known here.
    const auto dir = host.local ? ZsupdStateDir(g) : std::nullopt;
    d.stderr_note = "goes to " + DescribeNodeFile(dir, d.status.node, *file) + ", not published";
    return;
  }
  if (o.lines == 0) return;
  auto lines = host.client->Tail(d.name, Stream::kStderr, o.lines);
  if (lines.ok()) {
    d.stderr_lines = std::move(*lines);
  } else {
    d.stderr_note = "(" + lines.status().message() + ")";
  }
}

// The details of `names` (exact names, all known to `host` a moment ago),
// in natural order. `named`: the host is shown in each block.
Result<std::vector<NodeDetail>> Details(FleetHost& host, std::vector<std::string> names,
                                        const ShowOptions& o, const GlobalOptions& g, bool named) {
  auto report = DetailedStatus(*host.client, names);
  if (!report.ok()) return report.status();
  std::sort(names.begin(), names.end(), NaturalLess);
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::vector<NodeDetail> details;
  for (const std::string& name : names) {
    auto it = report->nodes.find(name);
    // zsupd answers one unknown `node` with an empty map.
    if (it == report->nodes.end()) return Status::Refused("no node named '" + name + "'");
    NodeDetail d{named ? host.name : "", name, std::move(it->second), {}, std::nullopt};
    AddStderr(host, o, g, d);
    details.push_back(std::move(d));
  }
  return details;
}

void Print(const ShowOptions& o, const std::vector<NodeDetail>& details) {
  const double now = WallNow();
  if (o.json) {
    nlohmann::ordered_json all = nlohmann::ordered_json::array();
    for (const NodeDetail& d : details) all.push_back(NodeDetailJson(d, now));
    std::cout << DumpJson(all, 2) << "\n";
    return;
  }
  for (size_t i = 0; i < details.size(); ++i) {
    std::cout << (i > 0 ? "\n" : "") << FormatNodeDetail(details[i], now);
  }
  std::cout << std::flush;
}

// Several hosts: the hosts holding the nodes, each asked for its own.
int RunFleet(const ShowOptions& o, const GlobalOptions& g, Fleet& fleet) {
  auto selected = SelectAcross(fleet, Selection{o.nodes, "", false});
  if (!selected.ok()) return ReportFailure(selected.status());
  int exit = selected->exit;
  std::vector<NodeDetail> all;
  for (HostNodes& h : selected->hosts) {
    if (h.nodes.nodes.empty()) continue;
    auto details = Details(*h.host, h.Names(), o, g, true);
    if (!details.ok()) {
      exit = WorseExit(exit, ReportHostFailure(*h.host, details.status()));
      continue;
    }
    for (NodeDetail& d : *details) all.push_back(std::move(d));
  }
  Print(o, all);
  return exit;
}

int Run(const ShowOptions& o, const GlobalOptions& g) {
  auto fleet = Fleet::Open(g);
  if (!fleet.ok()) return ReportFailure(fleet.status());
  if (fleet->multi()) return RunFleet(o, g, *fleet);
  FleetHost& host = fleet->hosts().front();
  auto names = ExpandGlobs(*host.client, o.nodes);
  if (!names.ok()) return ReportFailure(names.status());
  auto details = Details(host, std::move(*names), o, g, false);
  if (!details.ok()) return ReportFailure(details.status());
  Print(o, *details);
  return kExitOk;
}

}  // namespace

Command AddShow(CLI::App& app) {
  auto o = std::make_shared<ShowOptions>();
  CLI::App* sub = app.add_subcommand(
      "show",
      "Show everything about nodes: state, command, environment, user, output files, restart "
      "and stop policy, readiness, the recent exits and stderr lines");
  sub->add_option("NODE", o->nodes,
                  "the nodes: names or shell-style globs ('worker-*'); exit 1 if one is unknown "
                  "or a glob matches nothing")
      ->required();
  sub->add_option("-n,--lines", o->lines, "how many recent stderr lines to show per node")
      ->capture_default_str()
      ->check(cli::NonNegative());
  sub->add_flag("--json", o->json,
                "print a JSON array with status --json's object per node plus exits (newest "
                "first, as last_exit), stderr [{seq, at, msg}] and stderr_note (why no lines: "
                "a file, an error; else null). With --hosts each object starts with host");
  return {sub, [o](const GlobalOptions& g) { return Run(*o, g); }};
}

}  // namespace zsup::ctl
