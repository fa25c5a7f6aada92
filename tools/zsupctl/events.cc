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

const std::string& NodeOf(const Event& e) {
  return std::visit([](const auto& payload) -> const std::string& { return payload.node; },
                    e.payload);
}

int Run(const EventsOptions& o, const GlobalOptions& g) {
  // Before the ZeroMQ context exists, so its threads inherit the mask.
  auto signals = BlockSignals({SIGINT, SIGTERM, SIGHUP});
  if (!signals.ok()) return ReportFailure(signals.status());
  auto client = Connect(g);
  if (!client.ok()) return ReportFailure(client.status());
  Client& c = **client;
  // Fails fast (and names the control socket) when zsupd is not there. An
  // unknown NODE is fine: it may be created later.
  if (auto ping = c.Ping(); !ping.ok()) return ReportFailure(ping.status());
  std::vector<std::string> prefixes = {EventTopic(EventKind::kNodeStatus, o.node),
                                       EventTopic(EventKind::kNodeExit, o.node),
                                       EventTopic(EventKind::kNodeFailed, o.node),
                                       EventTopic(EventKind::kNodeReady, o.node)};
  auto sub = Subscription::Open(c, prefixes);
  if (!sub.ok()) return ReportFailure(sub.status());
  for (;;) {
    auto event = (*sub)->Next(signals->get());
    if (!event.ok()) return ReportFailure(event.status());
    if (!event->has_value()) return kExitOk;  // interrupted: the normal way to stop
    const Event& e = **event;
    // A prefix subscription to "node_exit/w1" also delivers w10's events.
    if (!o.node.empty() && NodeOf(e) != o.node) continue;
    std::cout << (o.json ? DumpJson(EventJson(e)) : DescribeEvent(e)) << '\n' << std::flush;
    if (!std::cout) return kExitOk;  // stdout is gone (e.g. `| head`)
  }
}

}  // namespace

Command AddEvents(CLI::App& app) {
  auto o = std::make_shared<EventsOptions>();
  CLI::App* sub = app.add_subcommand("events", "Print node starts and exits as they happen");
  sub->footer(
      "Prints node_status (start) and node_exit events, one line each, until interrupted "
      "(Ctrl-C). zsupd keeps no event history, so there is no \"latest events\" mode: "
      "`zsupctl status` shows each node's last start and exit.");
  sub->add_option("NODE", o->node, "only this node (exactly this name)");
  sub->add_flag("-f,--follow", o->follow,
                "accepted for symmetry with tail -f; events always follows");
  sub->add_flag(
      "--json", o->json,
      "one JSON object per line: {\"event\": \"node_status\", node, pid, restarts, at} "
      "or {\"event\": \"node_exit\", node, pid, code, signal, signal_name, commanded, at}");
  return {sub, [o](const GlobalOptions& g) { return Run(*o, g); }};
}

}  // namespace zsup::ctl
