#include "tools/zsupctl/selection.h"

#include <fnmatch.h>
#include <signal.h>

#include <cerrno>
#include <cstdio>
#include <set>
#include <thread>
#include <utility>

#include "broker/clock.h"

namespace zsup::ctl {
namespace {

constexpr std::chrono::milliseconds kPollInterval{100};

bool ProcessExists(int64_t pid) {
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

// Whether `now` (the node's status, absent if it is gone) is where `goal` leads.
bool Reached(const NodeStatus& was, const NodeStatus* now, WaitGoal goal, bool new_pid) {
  switch (goal) {
    case WaitGoal::kGone:
      return !was.pid || !ProcessExists(*was.pid);
    case WaitGoal::kStopped:
      return now == nullptr || !now->pid;
    case WaitGoal::kRunning:
      return now != nullptr && now->state == NodeState::kRunning && now->ready.value_or(true) &&
             (!new_pid || now->pid != was.pid);
  }
  return false;
}

}  // namespace

bool IsGlob(const std::string& pattern) {
  return pattern.find_first_of("*?[") != std::string::npos;
}

Result<std::vector<std::string>> ExpandGlobs(Client& client,
                                             const std::vector<std::string>& nodes) {
  bool any = false;
  for (const std::string& n : nodes) any = any || IsGlob(n);
  if (!any) return nodes;
  auto report = client.GetStatus("");
  if (!report.ok()) return report.status();
  std::set<std::string> seen;
  std::vector<std::string> out;
  for (const std::string& pattern : nodes) {
    // A name may itself hold *, ? or [: an exact name is taken as it is.
    if (!IsGlob(pattern) || report->nodes.contains(pattern)) {
      if (seen.insert(pattern).second) out.push_back(pattern);
      continue;
    }
    bool matched = false;
    for (const auto& [name, status] : report->nodes) {
      if (::fnmatch(pattern.c_str(), name.c_str(), 0) != 0) continue;
      matched = true;
      if (seen.insert(name).second) out.push_back(name);
    }
    if (!matched) return Status::Refused("no node matches '" + pattern + "'");
  }
  return out;
}

Status WaitFor(Client& client, const StatusReport& before, WaitGoal goal,
               std::chrono::milliseconds timeout, bool new_pid) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<std::string> pending;
  for (const auto& [name, was] : before.nodes) pending.push_back(name);
  for (;;) {
    // Only the nodes still on their way (an unknown one is left out).
    // Gone needs no status (the names are gone from it at once).
    StatusReport now_report;
    if (goal != WaitGoal::kGone && !pending.empty()) {
      StatusRequest request;
      request.nodes = pending;
      auto report = client.GetStatus(request);
      if (!report.ok()) return report.status();
      now_report = std::move(*report);
    }
    const StatusReport* now = &now_report;
    std::vector<std::string> still;
    for (const std::string& name : pending) {
      const NodeStatus& was = before.nodes.at(name);
      auto it = now->nodes.find(name);
      const NodeStatus* current = it == now->nodes.end() ? nullptr : &it->second;
      if (goal == WaitGoal::kRunning && current != nullptr) {
        if (current->state == NodeState::kFailed) {
          return Status::Refused("node '" + name +
                                 "' failed: " + current->failed_reason.value_or("(no reason)"));
        }
        if (current->state == NodeState::kExited) {
          return Status::Refused("node '" + name +
                                 "' exited and is not revived (its restart_policy)");
        }
      }
      if (!Reached(was, current, goal, new_pid)) still.push_back(name);
    }
    pending = std::move(still);
    if (pending.empty()) return Status::Ok();
    if (std::chrono::steady_clock::now() >= deadline) {
      std::string names;
      for (const std::string& n : pending) names += (names.empty() ? "" : ", ") + n;
      char seconds[32];
      std::snprintf(seconds, sizeof seconds, "%g", static_cast<double>(timeout.count()) / 1000);
      return Status::Error("--wait: still on their way after " + std::string(seconds) +
                           " s: " + names);
    }
    std::this_thread::sleep_for(kPollInterval);  // a client, not a loop: polling is fine here
  }
}

}  // namespace zsup::ctl
