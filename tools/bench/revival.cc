// Revival: nodes that have been up for more than 1 s (so Zeek's schedule
// allows an immediate restart) are killed with SIGKILL one at a time; each
// is timed from the kill until the node_status of its new process arrives.
// Every node is killed once, so the revival delay never doubles.
// Floor: fork + exec of /bin/true until exec succeeded, one sample taken
// right before each kill. The `at` of node_exit (the stem reaped it) and of
// node_status (the stem spawned the new one) split each revival in three.
#include <csignal>
#include <map>
#include <thread>

#include "broker/clock.h"
#include "tools/bench/bench.h"
#include "tools/bench/client.h"
#include "tools/bench/floors.h"
#include "tools/bench/stats.h"

namespace zsup::bench {
namespace {

constexpr double kRevivalSlackSeconds = 2e-3;  // the target: floor + 2 ms
constexpr auto kUpFor = std::chrono::milliseconds(1200);

// The next node_status of `name` with a pid other than `old_pid`; the
// node_exit seen on the way, if any, goes to *exit_at.
std::optional<NodeStatusEvent> WaitStatus(Events& events, const std::string& name, int64_t old_pid,
                                          double* exit_at) {
  auto found = events.WaitFor(
      [&](const Event& e) {
        if (e.kind == EventKind::kNodeExit) {
          const auto& x = std::get<NodeExitEvent>(e.payload);
          if (x.node == name && x.pid == old_pid && exit_at != nullptr) *exit_at = x.at;
          return false;
        }
        if (e.kind != EventKind::kNodeStatus) return false;
        const auto& s = std::get<NodeStatusEvent>(e.payload);
        return s.node == name && s.pid != old_pid;
      },
      milliseconds(15000));
  if (!found) return std::nullopt;
  return std::get<NodeStatusEvent>(found->payload);
}

}  // namespace

Status RunRevival(Bench& b) {
  auto session = StartSession(b, "zb-rv", {"node_status/", "node_exit/"});
  if (!session.ok()) return session.status();
  Daemon& daemon = *(*session)->daemon;
  Control& control = *(*session)->control;
  Events& events = *(*session)->events;
  Status s;

  std::map<std::string, int64_t> pids;
  for (int i = 0; i < b.counts.revivals; ++i) {
    const std::string name = "rv-" + std::to_string(i);
    s = control.Create(TestNodeConfig(b.paths.test_node, name));
    if (!s.ok()) return daemon.WithLog(s);
    auto started = WaitStatus(events, name, 0, nullptr);
    if (!started) return daemon.WithLog(Status::Error("node " + name + " did not start"));
    pids[name] = started->pid;
  }
  std::this_thread::sleep_for(kUpFor);  // every node is now up for more than 1 s

  std::vector<double> samples, floor, to_reaped, reaped_to_spawned, spawned_to_event;
  for (const auto& [name, pid] : pids) {
    if (Interrupted()) return InterruptedError();
    auto f = ForkExecOnce();
    if (!f.ok()) return f.status();
    const double wall0 = WallNow();
    const auto t0 = Clock::now();
    if (::kill(static_cast<pid_t>(pid), SIGKILL) != 0) {
      return Status::Errno("kill node " + name, errno);
    }
    double exit_at = 0;
    auto revived = WaitStatus(events, name, pid, &exit_at);
    const double t = SecondsSince(t0);
    const double wall1 = WallNow();
    if (!revived) return daemon.WithLog(Status::Error("node " + name + " was not revived in 15 s"));
    samples.push_back(t);
    floor.push_back(f->exec);
    if (exit_at > 0) {
      to_reaped.push_back(exit_at - wall0);
      reaped_to_spawned.push_back(revived->at - exit_at);
    }
    spawned_to_event.push_back(wall1 - revived->at);
  }
  const Summary r = Summarize(samples), fl = Summarize(floor), a = Summarize(to_reaped),
                sp = Summarize(reaped_to_spawned), ev = Summarize(spawned_to_event);
  nlohmann::json& j = b.report->Figure("revival");
  j["revival"] = ToJson(r);
  j["floor_fork_exec_bin_true"] = ToJson(fl);
  j["kill_to_reaped"] = ToJson(a);
  j["reaped_to_spawned"] = ToJson(sp);
  j["spawned_to_event_received"] = ToJson(ev);
  const double over = r.p50 - fl.p50;
  b.report->Add({"revival after SIGKILL p50", FormatSeconds(r.p50), FormatSeconds(fl.p50), over,
                 FormatDelta(over), "≤ floor + 2 ms", Judge(over <= kRevivalSlackSeconds)});
  const double over99 = r.p99 - fl.p99;
  b.report->Add({"revival after SIGKILL p99", FormatSeconds(r.p99), FormatSeconds(fl.p99), over99,
                 FormatDelta(over99), "", Mark::kInfo});
  b.report->Add(
      {"  of which: kill → reaped / → respawned / → event",
       FormatSeconds(a.p50) + " / " + FormatSeconds(sp.p50) + " / " + FormatSeconds(ev.p50), "",
       std::nullopt, "", "", Mark::kInfo});
  return daemon.WithLog(daemon.Stop());
}

}  // namespace zsup::bench
