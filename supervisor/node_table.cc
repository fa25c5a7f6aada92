#include "supervisor/node_table.h"

#include <algorithm>
#include <set>

namespace zsup {

namespace {
bool Staged(const CompactConfig& c) { return c.stage() != 0; }
}  // namespace

NodeView& NodeTable::Add(NodeConfig config) {
  Remove(config.name);
  NodeView view;
  view.fingerprint = stem::Fingerprint(config);
  view.config = CompactConfig(config);
  staged_nodes_ += Staged(view.config);
  return nodes_.insert_or_assign(config.name, std::move(view)).first->second;
}

void NodeTable::Update(NodeConfig config) {
  NodeView* v = Find(config.name);
  if (v == nullptr) return;
  staged_nodes_ -= Staged(v->config);
  v->fingerprint = stem::Fingerprint(config);
  v->config = CompactConfig(config);
  staged_nodes_ += Staged(v->config);
  v->hold.reset();
  v->failed_reason.reset();
}

void NodeTable::Remove(const std::string& name) {
  auto it = nodes_.find(name);
  if (it == nodes_.end()) return;
  staged_nodes_ -= Staged(it->second.config);
  nodes_.erase(it);
}

NodeView* NodeTable::Find(const std::string& name) {
  auto it = nodes_.find(name);
  return it == nodes_.end() ? nullptr : &it->second;
}

namespace {

NodeStatus StatusOf(const NodeView& v, bool detail) {
  NodeStatus s;
  s.node.name = v.config.name();
  s.node_msgpack = v.config.bytes();  // spliced into the reply as is
  s.pid = v.pid;
  s.state = v.state;
  // No process left: stopped when desired down, else failed or exited when
  // given up on, whatever the stem said last.
  if (!v.pid && !v.desired_up) {
    s.state = NodeState::kStopped;
  } else if (!v.pid && v.hold) {
    s.state = *v.hold;
    if (*v.hold == NodeState::kFailed) s.failed_reason = v.failed_reason;
  }
  s.restarts = v.restarts;
  s.started_at = v.started_at;
  s.last_exit = v.last_exit;
  s.last_error = v.last_error;
  if (s.state == NodeState::kBackoff) s.next_start_at = v.next_start_at;
  s.desired_up = v.desired_up;
  s.ready = v.ready && v.pid.has_value();
  if (v.pid) s.status_text = v.status_text;
  if (detail) s.exits = v.exits;
  return s;
}

}  // namespace

void NodeView::RecordExit(const ExitInfo& exit) {
  // The same exit again when at, code and signal match; an older stem's
  // report does not say whether it was commanded, so a true one stays.
  if (!exits.empty() && exits.front().at == exit.at && exits.front().code == exit.code &&
      exits.front().signal == exit.signal) {
    exits.front().commanded = exits.front().commanded || exit.commanded;
  } else {
    exits.insert(exits.begin(), exit);
    if (exits.size() > kExitHistory) exits.pop_back();
  }
  last_exit = exits.front();
}

StatusReport NodeTable::Status(const std::string& node, bool detail) const {
  StatusReport report;
  if (node.empty()) {
    for (const auto& [name, view] : nodes_) report.nodes.emplace(name, StatusOf(view, detail));
  } else if (auto it = nodes_.find(node); it != nodes_.end()) {
    report.nodes.emplace(node, StatusOf(it->second, detail));
  }
  return report;
}

StatusReport NodeTable::Status(const std::vector<std::string>& names, bool detail) const {
  StatusReport report;
  for (const std::string& name : names) {
    if (auto it = nodes_.find(name); it != nodes_.end()) {
      report.nodes.emplace(name, StatusOf(it->second, detail));
    }
  }
  return report;
}

void NodeTable::OnStarted(const stem::NodeStarted& m) {
  NodeView* v = Find(m.name);
  if (v == nullptr) return;
  v->state = NodeState::kRunning;
  v->pid = m.pid;
  v->restarts = m.restarts;
  v->started_at = m.at;
  v->ever_started = true;
  v->last_error.reset();
  v->ready = false;  // the NodeUpdate that follows says
  v->status_text.reset();
}

void NodeTable::OnExited(const stem::NodeExited& m) {
  NodeView* v = Find(m.name);
  if (v == nullptr) return;
  // A late report about an older process must not clear a newer pid.
  if (v->pid && *v->pid != m.pid) return;
  v->pid.reset();
  v->started_at.reset();  // it describes the current process, and there is none
  // `starting` means a process exists: until the stem reports the new one,
  // a node about to be started again has none.
  v->state = m.next == NodeState::kStarting ? NodeState::kWaiting : m.next;
  v->restarts = std::max(v->restarts, m.restarts);
  v->RecordExit(ExitInfo{m.code, m.signal, m.at, m.commanded});
  v->ever_started = true;
  v->ready = false;
  v->status_text.reset();
}

void NodeTable::OnError(const std::string& name, const std::string& message) {
  if (NodeView* v = Find(name)) v->last_error = message;
}

void NodeTable::OnReport(const stem::NodeReport& r) {
  NodeView* v = Find(r.name);
  if (v == nullptr) return;
  v->state = r.state;
  v->pid = r.pid;
  v->restarts = r.restarts;
  v->started_at = r.started_at;
  if (r.last_exit) v->RecordExit(*r.last_exit);
  v->ever_started = true;
  // A stem older than readiness: a running node is ready.
  v->ready = r.pid && r.ready.value_or(r.state == NodeState::kRunning);
  v->status_text = r.status_text;
  if (v->ready) v->start_wanted_at.reset();
}

bool NodeTable::OnUpdate(const stem::NodeUpdate& u) {
  NodeView* v = Find(u.name);
  if (v == nullptr || u.gone) return false;
  if (v->pid != u.pid) {
    v->started_at.reset();  // NodeStarted sets it for the new process
    v->status_text.reset();
  }
  const bool was_ready = v->ready;
  v->state = u.state;
  v->pid = u.pid;
  v->restarts = u.restarts;
  v->next_start_at = u.next_start_at;
  if (u.pid) v->ever_started = true;
  if (u.status_text) v->status_text = u.status_text;
  // A stem older than readiness: a running node is ready.
  v->ready = u.pid && u.ready.value_or(u.state == NodeState::kRunning);
  if (v->ready) v->start_wanted_at.reset();
  return v->ready && !was_ready;
}

void NodeTable::OnStopSent(const std::string& name) {
  if (NodeView* v = Find(name)) {
    v->state = v->pid ? NodeState::kStopping : NodeState::kWaiting;
    v->ready = false;
  }
}

void NodeTable::OnCreateSent(const std::string& name) {
  if (NodeView* v = Find(name)) {
    v->state = NodeState::kWaiting;
    v->pid.reset();
    v->started_at.reset();
    v->ready = false;
  }
}

void NodeTable::ForgetProcesses() {
  for (auto& [name, v] : nodes_) {
    v.pid.reset();
    v.started_at.reset();
    v.state = NodeState::kWaiting;
    v.ready = false;
  }
}

ReconcilePlan Reconcile(const NodeTable& desired, const std::vector<stem::NodeReport>& reported) {
  ReconcilePlan plan;
  std::set<std::string> seen;
  for (const stem::NodeReport& r : reported) {
    seen.insert(r.name);
    auto it = desired.nodes().find(r.name);
    if (it == desired.nodes().end() || !it->second.desired_up) {
      plan.destroy.push_back(r.name);
    } else if (it->second.fingerprint == r.fingerprint) {
      plan.adopt.push_back(r.name);
    } else {
      plan.replace.push_back(r.name);
    }
  }
  for (const auto& [name, view] : desired.nodes()) {
    if (!seen.contains(name) && view.desired_up) plan.create.push_back(name);
  }
  return plan;
}

}  // namespace zsup
