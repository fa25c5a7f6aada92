// Replay and adoption. Replay: a zsupd started on a state dir that holds N
// configured nodes and no stem, timed from its fork until every node has
// started (its node_status arrived; a subscriber connects while zsupd comes
// up, and a `status` every 250 ms covers events it may have missed), and
// until its READY. Adoption: that zsupd is killed with SIGKILL (its stem and
// nodes keep running) and a new one started, timed from its fork to READY,
// which zsupd writes once it has reconciled with the stem; `status` then
// must show the same pids, the same restart counts and the same stem.
// Floor (the issue names none; shown for scale): vfork + exec of N sleeping
// test_node processes one after another from a process with few descriptors.
#include <map>
#include <set>
#include <thread>

#include "tools/bench/bench.h"
#include "tools/bench/client.h"
#include "tools/bench/floors.h"
#include "tools/bench/stats.h"

namespace zsup::bench {
namespace {

// Decoding a status of 1,000 nodes costs milliseconds of CPU that zsupd
// and the stem need during a replay: poll rarely, count events instead.
constexpr auto kStatusEvery = milliseconds(250);

struct Seen {
  int64_t pid = 0;
  int64_t restarts = 0;
};

// The running nodes with their pids and restart counts.
Result<std::map<std::string, Seen>> Running(Control& control) {
  auto status = control.GetStatus();
  if (!status.ok()) return status.status();
  std::map<std::string, Seen> seen;
  for (const auto& [name, st] : status->nodes) {
    if (st.state == NodeState::kRunning && st.pid) seen[name] = {*st.pid, st.restarts.value_or(0)};
  }
  return seen;
}

// Waits until all `n` nodes have started, by their node_status events (when
// `events` is given) or a periodic `status`. Returns when that was seen.
Result<Clock::time_point> WaitAllRunning(Control& control, Events* events, int n,
                                         std::chrono::seconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::set<std::string> started;
  auto next_poll = Clock::now();
  for (;;) {
    if (Interrupted()) return InterruptedError();
    if (Clock::now() >= next_poll) {
      auto running = Running(control);
      if (!running.ok()) return running.status();
      if (static_cast<int>(running->size()) == n) return Clock::now();
      next_poll = Clock::now() + kStatusEvery;
    }
    if (Clock::now() > deadline) {
      return Status::Error(std::to_string(started.size()) + " of " + std::to_string(n) +
                           " nodes seen starting after " + std::to_string(timeout.count()) + " s");
    }
    if (events == nullptr) {
      std::this_thread::sleep_for(kStatusEvery);
      continue;
    }
    for (;;) {
      const auto left = std::chrono::duration_cast<milliseconds>(next_poll - Clock::now());
      if (left.count() <= 0) break;
      auto e = events->Next(left);
      if (!e) break;
      if (e->kind == EventKind::kNodeStatus)
        started.insert(std::get<NodeStatusEvent>(e->payload).node);
      if (static_cast<int>(started.size()) == n) return Clock::now();
    }
  }
}

// A state dir with `n` configured sleeping nodes and no zsupd or stem.
Result<TempDir> Prepare(Bench& b, int n) {
  auto dir = TempDir::Make("zb-rp");
  if (!dir.ok()) return dir.status();
  Daemon daemon(dir->path(), b.ZsupdOptions("normal"));
  Status s = daemon.Start();
  if (!s.ok()) return s;
  Control control(*b.context, daemon.control_endpoint());
  for (int i = 0; i < n && s.ok(); ++i) {
    s = control.Create(TestNodeConfig(b.paths.test_node, "sc-" + std::to_string(i)));
  }
  if (s.ok()) s = WaitAllRunning(control, nullptr, n, std::chrono::seconds(120)).status();
  if (!s.ok()) return daemon.WithLog(s);
  s = daemon.Stop();
  if (!s.ok()) return s;
  return std::move(*dir);
}

}  // namespace

Status RunReplay(Bench& b, std::optional<TempDir> prepared) {
  const int n = b.counts.scale_nodes;
  if (!prepared) {
    auto dir = Prepare(b, n);
    if (!dir.ok()) return dir.status();
    prepared = std::move(*dir);
  }
  auto floor = SpawnManyFloor(b.paths.test_node, n);
  if (!floor.ok()) return floor.status();
  Daemon daemon(prepared->path(), b.ZsupdOptions());
  Control control(*b.context, daemon.control_endpoint());
  auto events = Events::ConnectEarly(*b.context, daemon.events_endpoint(), {"node_status/"});
  if (!events.ok()) return events.status();

  // Replay: no stem runs; zsupd starts one and every node.
  const auto t0 = Clock::now();
  Status s = daemon.Start();
  if (!s.ok()) return s;
  const double replay_ready = daemon.ready_seconds();
  auto all = WaitAllRunning(control, events->get(), n, std::chrono::seconds(120));
  if (!all.ok()) return daemon.WithLog(all.status());
  const double replay_all = SecondsBetween(t0, *all);
  auto before = Running(control);
  if (!before.ok()) return daemon.WithLog(before.status());
  const pid_t stem_before = daemon.StemPid();
  const int stem_fds = CountFds(stem_before);
  events->reset();

  // Adoption: kill -9 zsupd, start the next one at once.
  daemon.Kill();
  s = daemon.Start();
  if (!s.ok()) return s;
  const double adopt_ready = daemon.ready_seconds();
  const auto t1 = Clock::now();
  auto after = Running(control);
  const double adopt_status = adopt_ready + SecondsSince(t1);
  if (!after.ok()) return daemon.WithLog(after.status());
  int pids_changed = 0;
  int64_t restarts = 0;
  for (const auto& [name, seen] : *before) {
    auto it = after->find(name);
    if (it == after->end()) {
      ++pids_changed;  // not running after the adoption
      continue;
    }
    pids_changed += it->second.pid != seen.pid;
    restarts += it->second.restarts - seen.restarts;
  }
  const bool same_stem = daemon.StemPid() == stem_before && stem_before > 0;

  nlohmann::json& j = b.report->Figure("replay");
  j["nodes"] = n;
  j["floor_spawn_all_seconds"] = *floor;
  j["stem_open_fds"] = stem_fds;
  j["replay_ready_seconds"] = replay_ready;
  j["replay_all_running_seconds"] = replay_all;
  j["adopt_ready_seconds"] = adopt_ready;
  j["adopt_first_status_seconds"] = adopt_status;
  j["adopt_running_after"] = after->size();
  j["adopt_pids_changed"] = pids_changed;
  j["adopt_restarts"] = restarts;
  j["adopt_same_stem"] = same_stem;

  const ScaleTargets target = TargetsFor(n);
  const std::string label = std::to_string(n) + " nodes: ";
  b.report->Add({"replay, " + label + "start → all running", FormatSeconds(replay_all),
                 FormatSeconds(*floor), replay_all / *floor, FormatRatio(replay_all / *floor),
                 target.replay_seconds ? "≤ " + FormatNumber(*target.replay_seconds, 0) + " s" : "",
                 target.replay_seconds ? Judge(replay_all <= *target.replay_seconds, target.judged)
                                       : Mark::kInfo});
  b.report->Add({"replay, " + label + "start → READY", FormatSeconds(replay_ready), "",
                 std::nullopt, "", "", Mark::kInfo});
  b.report->Add({"adoption after kill -9, " + label + "start → READY", FormatSeconds(adopt_ready),
                 "", std::nullopt, "", "≤ " + FormatNumber(target.adopt_seconds * 1e3, 0) + " ms",
                 Judge(adopt_ready <= target.adopt_seconds, target.judged)});
  b.report->Add({"adoption after kill -9, " + label + "→ first status", FormatSeconds(adopt_status),
                 "", std::nullopt, "", "", Mark::kInfo});
  b.report->Add({"adoption after kill -9: restarts / pids changed",
                 std::to_string(restarts) + " / " + std::to_string(pids_changed) +
                     (same_stem ? "" : " (stem replaced)"),
                 "", std::nullopt, "", "0 / 0",
                 Judge(restarts == 0 && pids_changed == 0 && same_stem)});
  return daemon.WithLog(daemon.Stop());
}

}  // namespace zsup::bench
