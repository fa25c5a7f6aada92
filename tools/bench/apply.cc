// Apply: N sleeping nodes given to a fresh zsupd in one `apply` request (one
// transaction), timed until the node_status of the last one; then the same
// request again (every node unchanged: the cost of a no-op re-apply), and
// one that changes a tenth of the nodes (their processes replaced).
#include <set>
#include <vector>

#include "tools/bench/bench.h"
#include "tools/bench/client.h"
#include "tools/bench/stats.h"

namespace zsup::bench {
namespace {

// Waits until `want` distinct nodes sent a node_status (a process started).
bool WaitStarted(Events& events, size_t want, std::chrono::seconds limit) {
  std::set<std::string> started;
  const auto deadline = Clock::now() + limit;
  while (started.size() < want && Clock::now() < deadline && !Interrupted()) {
    auto e = events.Next(milliseconds(100));
    if (!e || e->kind != EventKind::kNodeStatus) continue;
    started.insert(std::get<NodeStatusEvent>(e->payload).node);
  }
  return started.size() >= want;
}

}  // namespace

Status RunApply(Bench& b) {
  const int n = b.counts.scale_nodes;
  auto session = StartSession(b, "zb-ap", {"node_status/"});
  if (!session.ok()) return session.status();
  Daemon& daemon = *(*session)->daemon;
  Control& control = *(*session)->control;
  Events& events = *(*session)->events;

  ApplyRequest request;
  request.name_space = "bench";
  for (int i = 0; i < n; ++i) {
    request.nodes.push_back(TestNodeConfig(b.paths.test_node, "ap-" + std::to_string(i)));
  }
  auto t0 = Clock::now();
  auto reply = control.Apply(request);
  const double replied = SecondsSince(t0);
  if (!reply.ok()) return daemon.WithLog(reply.status());
  if (static_cast<int>(reply->created.size()) != n) {
    return daemon.WithLog(Status::Error("apply created " + std::to_string(reply->created.size()) +
                                        " of " + std::to_string(n) + " nodes"));
  }
  if (!WaitStarted(events, n, std::chrono::seconds(60))) {
    if (Interrupted()) return InterruptedError();
    return daemon.WithLog(Status::Error("not every node started within 60 s of the apply"));
  }
  const double all_running = SecondsSince(t0);

  t0 = Clock::now();
  reply = control.Apply(request);
  const double unchanged_reply = SecondsSince(t0);
  if (!reply.ok()) return daemon.WithLog(reply.status());
  if (static_cast<int>(reply->unchanged.size()) != n) {
    return daemon.WithLog(Status::Error("re-apply left " + std::to_string(reply->unchanged.size()) +
                                        " of " + std::to_string(n) + " nodes unchanged"));
  }

  const int changed = std::max(1, n / 10);
  for (int i = 0; i < changed; ++i) request.nodes[static_cast<size_t>(i)].env["V"] = "2";
  t0 = Clock::now();
  reply = control.Apply(request);
  if (!reply.ok()) return daemon.WithLog(reply.status());
  if (!WaitStarted(events, static_cast<size_t>(changed), std::chrono::seconds(60))) {
    if (Interrupted()) return InterruptedError();
    return daemon.WithLog(Status::Error("updated nodes did not all start again within 60 s"));
  }
  const double update_running = SecondsSince(t0);
  Status s = daemon.Stop();
  if (!s.ok()) return s;

  nlohmann::json& j = b.report->Figure("apply");
  j["nodes"] = n;
  j["apply_reply_seconds"] = replied;
  j["apply_all_running_seconds"] = all_running;
  j["reapply_unchanged_reply_seconds"] = unchanged_reply;
  j["updated_nodes"] = changed;
  j["update_all_running_seconds"] = update_running;

  const std::string label = "apply, " + std::to_string(n) + " nodes: ";
  b.report->Add({label + "one apply → all running", FormatSeconds(all_running), "", std::nullopt,
                 "", "", Mark::kInfo});
  b.report->Add(
      {label + "its reply", FormatSeconds(replied), "", std::nullopt, "", "", Mark::kInfo});
  b.report->Add({label + "re-apply, all unchanged: reply", FormatSeconds(unchanged_reply), "",
                 std::nullopt, "", "", Mark::kInfo});
  b.report->Add({label + "update of " + std::to_string(changed) + " → all running again",
                 FormatSeconds(update_running), "", std::nullopt, "", "", Mark::kInfo});
  return Status::Ok();
}

}  // namespace zsup::bench
