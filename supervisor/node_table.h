// zsupd's picture of its nodes: the desired configurations (mirroring the
// store) joined with what the stem last reported about each. Builds the
// `status` reply, and plans how to reconcile a stem's Welcome with the
// desired state. Pure data; single-threaded (zsupd's loop).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "broker/clock.h"
#include "broker/messages.h"
#include "broker/stem_protocol.h"
#include "supervisor/compact_config.h"

namespace zsup {

struct NodeView {
  CompactConfig config;
  std::string fingerprint;
  // Observed: `waiting` until the stem reports a process.
  NodeState state = NodeState::kWaiting;
  std::optional<int64_t> pid;
  int64_t restarts = 0;
  std::optional<double> started_at;
  std::optional<ExitInfo> last_exit;
  // The most recent exits, newest first (the front is last_exit), at most
  // kExitHistory: what a `detail` status returns. Memory only; seeded from
  // the store's history when zsupd starts.
  std::vector<ExitInfo> exits;  // not a deque: an empty one holds 576 bytes
  std::optional<std::string> last_error;
  std::optional<double> next_start_at;  // in backoff
  bool desired_up = true;               // false once stopped (v2), persisted
  // Given up on (v2): kFailed or kExited, persisted, until start/restart.
  std::optional<NodeState> hold;
  std::optional<std::string> failed_reason;
  // Whether the stem should run it: desired up and not given up on.
  bool ShouldRun() const { return desired_up && !hold; }
  bool ever_started = false;  // so a replay counts as a restart
  // v2: whether the current process is ready, and its last STATUS= text.
  bool ready = false;
  std::optional<std::string> status_text;
  // When zsupd last asked for this node to be started (a create or restart
  // sent or held back by its stage), until it is ready: how long nodes of
  // later stages wait for it (StartGate).
  std::optional<TimePoint> start_wanted_at;

  // Sets last_exit and puts it in front of `exits`, unless it is the one
  // there already (a stem's report repeats the exit zsupd saw).
  void RecordExit(const ExitInfo& exit);

  // The restart count a new stem should continue from.
  int64_t NextRestarts() const { return ever_started ? restarts + 1 : 0; }
};

class NodeTable {
 public:
  NodeView& Add(NodeConfig config);
  // A new config for a known node (apply): its process state and history
  // stay, a hold (failed, exited) goes.
  void Update(NodeConfig config);
  void Remove(const std::string& name);
  NodeView* Find(const std::string& name);
  const std::map<std::string, NodeView>& nodes() const { return nodes_; }
  size_t size() const { return nodes_.size(); }
  // Whether any node has a stage other than 0 (else there is no start order).
  bool staged() const { return staged_nodes_ > 0; }

  // `node` empty: every node. Unknown node: an empty map (Zeek's behaviour).
  // With `detail`, each node's `exits` too.
  StatusReport Status(const std::string& node, bool detail = false) const;
  // Exactly these nodes (unknown names are left out).
  StatusReport Status(const std::vector<std::string>& names, bool detail = false) const;

  // ---- what the stem says (unknown names are ignored) ----
  void OnStarted(const stem::NodeStarted& m);
  void OnExited(const stem::NodeExited& m);
  void OnError(const std::string& name, const std::string& message);
  void OnReport(const stem::NodeReport& report);
  // Returns whether the node became ready with this update.
  bool OnUpdate(const stem::NodeUpdate& update);
  // A stop or restart was sent: `stopping` while the process lasts, else
  // `waiting` for the new one.
  void OnStopSent(const std::string& name);
  // A create was sent: `waiting` until the stem reports the process.
  void OnCreateSent(const std::string& name);
  // The stem is gone: no node runs until a new one reports.
  void ForgetProcesses();

 private:
  std::map<std::string, NodeView> nodes_;
  size_t staged_nodes_ = 0;
};

// What to do with a stem's nodes when it says Welcome.
struct ReconcilePlan {
  std::vector<std::string> adopt;    // running with the desired config: keep
  std::vector<std::string> replace;  // running with another config: destroy, then create
  std::vector<std::string> create;   // desired, not in the stem: create (sorted by name)
  std::vector<std::string> destroy;  // in the stem, no longer desired: destroy
  bool operator==(const ReconcilePlan&) const = default;
};

ReconcilePlan Reconcile(const NodeTable& desired, const std::vector<stem::NodeReport>& reported);

}  // namespace zsup
