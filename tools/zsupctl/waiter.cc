#include "tools/zsupctl/waiter.h"

#include <signal.h>

#include <cerrno>
#include <cstdio>
#include <variant>
#include <vector>

namespace zsup::ctl {
namespace {

using std::chrono::milliseconds;
using WaitClock = std::chrono::steady_clock;

// Without an event, status is asked this often anyway: an event can be
// dropped (a subscriber zsupd cut off), a state reached without one.
constexpr milliseconds kFallbackCheck{1000};
// Up to this many nodes get topics of their own; more share the kinds'
// prefixes (fewer subscriptions, more events to skip).
constexpr size_t kMaxNodeTopics = 32;
constexpr const char* kKinds[] = {"node_status/", "node_ready/", "node_exit/", "node_failed/"};

bool ProcessExists(int64_t pid) {
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

// Whether `now` (the node's status, absent if it is gone) is where `goal` leads.
bool Reached(const NodeStatus& was, const NodeStatus* now, WaitGoal goal, bool new_pid) {
  switch (goal) {
    case WaitGoal::kGone:
      return false;  // decided by Waiter::Check from exits and pids
    case WaitGoal::kStopped:
      return now == nullptr || !now->pid;
    case WaitGoal::kRunning:
      return now != nullptr && now->state == NodeState::kRunning && now->ready.value_or(true) &&
             (!new_pid || now->pid != was.pid);
  }
  return false;
}

}  // namespace

Result<std::unique_ptr<Waiter>> Waiter::Begin(Client& client, const StatusRequest& which,
                                              const std::vector<std::string>& names, WaitGoal goal,
                                              bool new_pid, bool local) {
  std::vector<std::string> prefixes;
  for (const char* kind : kKinds) {
    if (names.empty() || names.size() > kMaxNodeTopics) {
      prefixes.emplace_back(kind);
      continue;
    }
    for (const std::string& n : names) prefixes.push_back(kind + n);
  }
  auto sub = Subscription::Open(client, prefixes);
  if (!sub.ok()) return sub.status();
  std::unique_ptr<Waiter> w(new Waiter(client, std::move(*sub), goal, new_pid, local));
  // After subscribing: a change from here on is either in this status or
  // in an event that follows.
  auto report = client.GetStatus(which);
  if (!report.ok()) return report.status();
  w->before_ = std::move(*report);
  for (const auto& [name, status] : w->before_.nodes) w->pending_.insert(name);
  return w;
}

void Waiter::See(const Event& event) {
  if (goal_ != WaitGoal::kGone || event.kind != EventKind::kNodeExit) return;
  const auto& exit = std::get<NodeExitEvent>(event.payload);
  auto was = before_.nodes.find(exit.node);
  if (was != before_.nodes.end() && was->second.pid == exit.pid) exited_.insert(exit.node);
}

Status Waiter::Check() {
  StatusReport now;
  if (goal_ != WaitGoal::kGone && !pending_.empty()) {
    StatusRequest request;
    request.nodes = std::vector<std::string>(pending_.begin(), pending_.end());
    auto report = client_.GetStatus(request);
    if (!report.ok()) return report.status();
    now = std::move(*report);
  }
  for (auto it = pending_.begin(); it != pending_.end();) {
    const std::string& name = *it;
    const NodeStatus& was = before_.nodes.at(name);
    auto found = now.nodes.find(name);
    const NodeStatus* current = found == now.nodes.end() ? nullptr : &found->second;
    if (goal_ == WaitGoal::kRunning && current != nullptr) {
      if (current->state == NodeState::kFailed) {
        return Status::Refused("node '" + name +
                               "' failed: " + current->failed_reason.value_or("(no reason)"));
      }
      if (current->state == NodeState::kExited) {
        return Status::Refused("node '" + name + "' exited and is not revived (its restart_policy)");
      }
    }
    bool reached = Reached(was, current, goal_, new_pid_);
    if (goal_ == WaitGoal::kGone) {
      reached = !was.pid || exited_.contains(name) || (local_ && !ProcessExists(*was.pid));
    }
    it = reached ? pending_.erase(it) : std::next(it);
  }
  return Status::Ok();
}

Status Waiter::Wait(milliseconds timeout) {
  const auto deadline = WaitClock::now() + timeout;
  for (;;) {
    if (Status s = Check(); !s.ok()) return s;
    if (pending_.empty()) return Status::Ok();
    const auto now = WaitClock::now();
    if (now >= deadline) break;
    const auto left = std::chrono::ceil<milliseconds>(deadline - now);
    auto event = sub_->NextWithin(std::min(left, kFallbackCheck));
    if (!event.ok()) return event.status();
    // Everything queued now, then one status for all of it.
    while (event.ok() && event->has_value()) {
      if (pending_.contains(NodeOf(**event))) See(**event);
      event = sub_->NextWithin(milliseconds(0));
    }
    if (!event.ok()) return event.status();
  }
  std::string names;
  for (const std::string& n : pending_) names += (names.empty() ? "" : ", ") + n;
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%g", static_cast<double>(timeout.count()) / 1000);
  return Status::Error("--wait: still on their way after " + std::string(seconds) + " s: " + names);
}

}  // namespace zsup::ctl
