// zsupctl events [-f] [NODE] [--json]: node starts and exits as they happen.
//
// zsupd keeps no history of events, so there is nothing to print but what
// happens from now on: `events` always follows until interrupted (like
// `docker events`); -f is accepted for symmetry with `tail -f`. `status`
// shows each node's last start and exit.
#include <iostream>
#include <memory>

#include "broker/signals.h"
#include "tools/zsupctl/client.h"
#include "tools/zsupctl/commands.h"
#include "tools/zsupctl/fleet.h"
#include "tools/zsupctl/follower.h"
#include "tools/zsupctl/format.h"
#include "tools/zsupctl/json_output.h"
#include "tools/zsupctl/subscription.h"

namespace zsup::ctl {
namespace {

struct EventsOptions {
  std::string node;
  bool follow = false;  // the only mode; see above
  bool json = false;
};

// The event as printed; with --hosts its node is "HOST/NODE" (text) or
// the object starts with "host" (JSON).
std::string Line(const EventsOptions& o, const Event& e, const FleetHost& host) {
  if (o.json) {
    nlohmann::ordered_json j = EventJson(e);
    if (host.name.empty()) return DumpJson(j);
    nlohmann::ordered_json with = {{"host", host.name}};
    with.update(j);
    return DumpJson(with);
  }
  std::string line = DescribeEvent(e);
  if (!host.name.empty()) {
    const size_t space = line.find(' ');  // after the time
    line.insert(space == std::string::npos ? 0 : space + 1, host.name + "/");
  }
  return line;
}

int Run(const EventsOptions& o, const GlobalOptions& g) {
  // Before the ZeroMQ context exists, so its threads inherit the mask.
  auto signals = BlockSignals({SIGINT, SIGTERM, SIGHUP});
  if (!signals.ok()) return ReportFailure(signals.status());
  auto fleet = Fleet::Open(g);
  if (!fleet.ok()) return ReportFailure(fleet.status());
  std::vector<std::string> prefixes = {EventTopic(EventKind::kNodeStatus, o.node),
                                       EventTopic(EventKind::kNodeExit, o.node),
                                       EventTopic(EventKind::kNodeFailed, o.node),
                                       EventTopic(EventKind::kNodeReady, o.node)};
  // Fails fast (and names the control socket) when zsupd is not there. An
  // unknown NODE is fine: it may be created later; a warning says so. With
  // --hosts, a host that does not answer is reported and the others are
  // followed, and NODE need only be on one of them.
  struct Joined {
    std::unique_ptr<Subscription> sub;
    bool knows_node = true;
  };
  auto subs = fleet->Each([&prefixes, &o](FleetHost& h) -> Result<Joined> {
    Joined joined;
    if (o.node.empty()) {
      if (auto ping = h.client->Ping(); !ping.ok()) return ping.status();
    } else {
      auto status = h.client->GetStatus(o.node);
      if (!status.ok() && status.status().code() != Status::Code::kRefused) {
        return status.status();
      }
      joined.knows_node = status.ok() && status->nodes.contains(o.node);
    }
    auto sub = Subscription::Open(*h.client, prefixes);
    if (!sub.ok()) return sub.status();
    joined.sub = std::move(*sub);
    return joined;
  });
  int exit = kExitOk;
  std::vector<Follower::Source> live;
  std::vector<FleetHost*> hosts;
  bool known = false;
  for (size_t i = 0; i < subs.size(); ++i) {
    if (!subs[i].ok()) {
      exit = WorseExit(exit, ReportHostFailure(fleet->hosts()[i], subs[i].status()));
      continue;
    }
    FleetHost& h = fleet->hosts()[i];
    known = known || subs[i]->knows_node;
    live.push_back({subs[i]->sub.get(), h.client.get(), h.name});
    hosts.push_back(&h);
  }
  if (live.empty()) return exit;
  if (!o.node.empty() && !known) NoteAwaitedNode(o.node, fleet->multi());
  Follower follower(std::move(live));
  for (;;) {
    auto next = follower.Next(signals->get());
    if (!next.ok()) return ReportFailure(next.status());
    if (!next->has_value()) return exit;  // interrupted: the normal way to stop
    const auto& [i, e] = **next;
    // A prefix subscription to "node_exit/w1" also delivers w10's events.
    if (!o.node.empty() && NodeOf(e) != o.node) continue;
    std::cout << Line(o, e, *hosts[i]) << '\n' << std::flush;
    if (!std::cout) return exit;  // stdout is gone (e.g. `| head`)
  }
}

}  // namespace

Command AddEvents(CLI::App& app) {
  auto o = std::make_shared<EventsOptions>();
  CLI::App* sub = app.add_subcommand("events", "Print node starts and exits as they happen");
  sub->footer(
      "Prints node_status (start) and node_exit events, one line each, until interrupted "
      "(Ctrl-C). zsupd keeps no event history, so there is no \"latest events\" mode: "
      "`zsupctl status` shows each node's last start and exit. A NODE zsupd does not know "
      "(yet) is waited for, with a warning; while zsupd does not answer (checked every "
      "--timeout), a note on stderr says so once, and another once it is back.");
  sub->add_option("NODE", o->node, "only this node (exactly this name)");
  sub->add_flag("-f,--follow", o->follow,
                "accepted for symmetry with tail -f; events always follows");
  sub->add_flag(
      "--json", o->json,
      "one JSON object per line: {\"event\": \"node_status\", node, pid, restarts, at} "
      "or {\"event\": \"node_exit\", node, pid, code, signal, signal_name, commanded, at}; "
      "with --hosts each line names HOST/NODE and each object starts with host");
  return {sub, [o](const GlobalOptions& g) { return Run(*o, g); }};
}

}  // namespace zsup::ctl
