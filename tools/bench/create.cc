// Create → running: `create` of a sleeping test_node, timed from the send
// until its node_status event arrives (and, separately, until the reply),
// once with synchronous=FULL and once with NORMAL, each on a fresh zsupd.
// Floor: fork + exec + wait of /bin/true plus one SQLite commit (WAL, the
// same synchronous setting, the same file system). One floor sample is
// taken right before every create, so both see the same machine noise.
// The node_status `at` (when the stem spawned the node) splits each create
// into "send → spawned" and "spawned → event received".
#include "broker/clock.h"
#include "tools/bench/bench.h"
#include "tools/bench/client.h"
#include "tools/bench/floors.h"
#include "tools/bench/stats.h"

namespace zsup::bench {
namespace {

constexpr int kCreateWarmup = 5;
constexpr double kCreateSlackSeconds = 1e-3;  // the target: floor + 1 ms

struct CreateTimes {
  Summary reply, running, floor, commit, fork_exec_wait, to_spawn, spawn_to_event;
};

Result<CreateTimes> TimeCreates(Bench& b, const std::string& synchronous, const std::string& dir) {
  auto sqlite = SqliteFloor::Open(dir, synchronous);
  if (!sqlite.ok()) return sqlite.status();
  Daemon daemon(dir, b.ZsupdOptions(synchronous));
  Status s = daemon.Start();
  if (!s.ok()) return s;
  Control control(*b.context, daemon.control_endpoint());
  auto events = Events::Connect(*b.context, daemon.events_endpoint(), control, {"node_status/"});
  if (!events.ok()) return daemon.WithLog(events.status());
  std::vector<double> reply, running, floor, commit, fork_exec, to_spawn, spawn_to_event;
  for (int i = -kCreateWarmup; i < b.counts.creates; ++i) {
    if (Interrupted()) return InterruptedError();
    auto c = (*sqlite)->Commit();
    if (!c.ok()) return c.status();
    auto f = ForkExecOnce();
    if (!f.ok()) return f.status();

    const std::string name = "cr-" + std::to_string(i + kCreateWarmup);
    const NodeConfig config = TestNodeConfig(b.paths.test_node, name);
    const double wall0 = WallNow();
    const auto t0 = Clock::now();
    s = control.Create(config);
    const double t_reply = SecondsSince(t0);
    if (!s.ok()) return daemon.WithLog(s.Prefixed("create " + name));
    auto started = (*events)->WaitFor(
        [&name](const Event& e) {
          return e.kind == EventKind::kNodeStatus &&
                 std::get<NodeStatusEvent>(e.payload).node == name;
        },
        milliseconds(10000));
    const double t_running = SecondsSince(t0);
    const double wall1 = WallNow();
    if (!started) {
      if (Interrupted()) return InterruptedError();
      return daemon.WithLog(Status::Error("no node_status for " + name + " within 10 s"));
    }
    if (i < 0) continue;
    const double spawned = std::get<NodeStatusEvent>(started->payload).at;
    reply.push_back(t_reply);
    running.push_back(t_running);
    commit.push_back(*c);
    fork_exec.push_back(f->exit);
    floor.push_back(*c + f->exit);
    to_spawn.push_back(spawned - wall0);
    spawn_to_event.push_back(wall1 - spawned);
  }
  s = daemon.Stop();
  if (!s.ok()) return s;
  return CreateTimes{Summarize(reply),         Summarize(running),   Summarize(floor),
                     Summarize(commit),        Summarize(fork_exec), Summarize(to_spawn),
                     Summarize(spawn_to_event)};
}

}  // namespace

Status RunCreate(Bench& b) {
  nlohmann::json& j = b.report->Figure("create");
  j["nodes"] = b.counts.creates;
  for (const std::string synchronous : {"full", "normal"}) {
    auto dir = TempDir::Make("zb-cr");
    if (!dir.ok()) return dir.status();
    auto t = TimeCreates(b, synchronous, dir->path());
    if (!t.ok()) return t.status();
    nlohmann::json& k = j["synchronous_" + synchronous];
    k["running"] = ToJson(t->running);
    k["reply"] = ToJson(t->reply);
    k["floor"] = ToJson(t->floor);
    k["floor_sqlite_commit"] = ToJson(t->commit);
    k["floor_fork_exec_wait_bin_true"] = ToJson(t->fork_exec_wait);
    k["send_to_spawned"] = ToJson(t->to_spawn);
    k["spawned_to_event_received"] = ToJson(t->spawn_to_event);
    k["running_p50_minus_floor_ms"] = (t->running.p50 - t->floor.p50) * 1e3;

    const std::string label = "create → running, sync=" + synchronous;
    const double over = t->running.p50 - t->floor.p50;
    b.report->Add({label + " p50", FormatSeconds(t->running.p50), FormatSeconds(t->floor.p50), over,
                   FormatDelta(over), "≤ floor + 1 ms", Judge(over <= kCreateSlackSeconds)});
    const double over99 = t->running.p99 - t->floor.p99;
    b.report->Add({label + " p99", FormatSeconds(t->running.p99), FormatSeconds(t->floor.p99),
                   over99, FormatDelta(over99), "", Mark::kInfo});
    b.report->Add({"  of which: reply (commit floor)", FormatSeconds(t->reply.p50),
                   FormatSeconds(t->commit.p50), std::nullopt,
                   FormatDelta(t->reply.p50 - t->commit.p50), "", Mark::kInfo});
    b.report->Add({"  of which: send → spawned / spawned → event",
                   FormatSeconds(t->to_spawn.p50) + " / " + FormatSeconds(t->spawn_to_event.p50),
                   "", std::nullopt, "", "", Mark::kInfo});
  }
  return Status::Ok();
}

}  // namespace zsup::bench
