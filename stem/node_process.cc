#include "stem/node_process.h"

#include <signal.h>

#include <algorithm>
#include <cstdio>

namespace zsup {

NodeProcess::NodeProcess(Options options, int64_t restarts)
    : options_(options), revival_(options.revival_cap), restarts_(restarts) {}

void NodeProcess::set_options(const Options& options) {
  options_ = options;
  revival_.set_cap(options.revival_cap);
}

NodeActions NodeProcess::Start(TimePoint) {
  state_ = NodeState::kStarting;
  return NodeActions{.spawn = true};
}

void NodeProcess::Spawned(pid_t pid, TimePoint now) {
  starts_.push_back(now);
  state_ = NodeState::kStarting;
  pid_ = pid;
  started_ = now;
  deadline_.reset();
  if (!options_.ready_at_exec) deadline_ = now + options_.ready_timeout;
  stop_reason_.reset();
  killed_ = false;
  ready_ = false;
}

NodeActions NodeProcess::SpawnFailed(TimePoint now) {
  // Treated as a process that died at once: wait for the revival schedule.
  starts_.push_back(now);
  pid_.reset();
  state_ = NodeState::kBackoff;
  started_ = now;
  deadline_ = revival_.OnExit(now, now);
  return {};
}

NodeActions NodeProcess::ExecSucceeded(TimePoint) {
  if (state_ != NodeState::kStarting || !pid_) return {};
  state_ = NodeState::kRunning;
  if (options_.ready_at_exec) ready_ = true;
  // A READY=1 that came before the exec report is reported after it.
  return NodeActions{.report_started = true, .report_ready = ready_};
}

NodeActions NodeProcess::BecameReady(TimePoint) {
  if (!awaiting_ready()) return {};
  ready_ = true;
  deadline_.reset();
  return NodeActions{.report_ready = state_ == NodeState::kRunning};
}

NodeActions NodeProcess::Exited(const ExitInfo& exit, TimePoint now) {
  if (!pid_) return {};
  pid_.reset();
  last_exit_ = exit;
  NodeActions a{.report_exit = true};
  const bool failed_start =
      state_ == NodeState::kStopping && stop_reason_ == StopReason::kReadyTimeout;
  if (failed_start) state_ = NodeState::kRunning;  // judged like an exit by itself
  if (state_ == NodeState::kStopping) {
    last_exit_->commanded = true;
    deadline_.reset();
    if (stop_reason_ == StopReason::kRestart) {
      revival_.Reset();
      NodeActions r = Respawn();
      r.report_exit = true;
      return r;
    }
    state_ = NodeState::kExited;
    a.forget = true;
    return a;
  }
  // Exited by itself (crash, exit, exec failure): revive on schedule, or not.
  last_exit_->commanded = false;
  if (exit.code && std::find(options_.permanent_failure_codes.begin(),
                             options_.permanent_failure_codes.end(),
                             *exit.code) != options_.permanent_failure_codes.end()) {
    return GiveUp(NodeState::kFailed,
                  "exit code " + std::to_string(*exit.code) + " is a permanent failure");
  }
  const bool revives =
      failed_start ? options_.restart_policy != Options::RestartPolicy::kNever : Revives(exit);
  if (!revives) return GiveUp(NodeState::kExited, std::nullopt);
  if (StartLimitReached(now)) {
    char interval[32];
    std::snprintf(interval, sizeof interval, "%g", Seconds(options_.start_limit_interval).count());
    return GiveUp(NodeState::kFailed, "start limit: " +
                                          std::to_string(options_.start_limit_burst + 1) +
                                          " starts within " + interval + " s");
  }
  state_ = NodeState::kBackoff;
  deadline_ = revival_.OnExit(started_.value_or(now), now);
  return a;
}

NodeActions NodeProcess::Stop(StopReason reason, TimePoint now) {
  switch (state_) {
    case NodeState::kStarting:
    case NodeState::kRunning:
      state_ = NodeState::kStopping;
      stop_reason_ = reason;
      killed_ = false;
      deadline_ = now + options_.stop_timeout;
      return NodeActions{.signal = options_.stop_signal};
    case NodeState::kStopping:
      // A destroy or shutdown outranks a pending restart, and any command
      // a ready timeout.
      if (reason != StopReason::kRestart || stop_reason_ == StopReason::kReadyTimeout) {
        stop_reason_ = reason;
      }
      return {};
    case NodeState::kBackoff:
      deadline_.reset();
      if (reason == StopReason::kRestart) {
        revival_.Reset();
        return Respawn();
      }
      state_ = NodeState::kExited;
      return NodeActions{.forget = true};
    case NodeState::kExited:
    case NodeState::kFailed:   // forgotten at once
    case NodeState::kWaiting:  // never stem states
    case NodeState::kStopped:
      return NodeActions{.forget = reason != StopReason::kRestart};
  }
  return {};
}

NodeActions NodeProcess::Tick(TimePoint now) {
  if (!deadline_ || now < *deadline_) return {};
  if (state_ == NodeState::kStopping) {
    deadline_.reset();
    if (killed_) return {};
    killed_ = true;
    return NodeActions{.signal = SIGKILL};
  }
  if (state_ == NodeState::kBackoff) {
    deadline_.reset();
    revival_.OnRevive();
    return Respawn();
  }
  if (awaiting_ready()) {  // the ready timeout
    state_ = NodeState::kStopping;
    stop_reason_ = StopReason::kReadyTimeout;
    deadline_ = now + options_.stop_timeout;
    return NodeActions{.signal = options_.stop_signal, .ready_timed_out = true};
  }
  deadline_.reset();
  return {};
}

NodeActions NodeProcess::GiveUp(NodeState state, std::optional<std::string> reason) {
  state_ = state;
  failed_reason_ = std::move(reason);
  deadline_.reset();
  return NodeActions{.report_exit = true, .forget = true};
}

bool NodeProcess::Revives(const ExitInfo& exit) const {
  switch (options_.restart_policy) {
    case Options::RestartPolicy::kAlways: return true;
    case Options::RestartPolicy::kNever: return false;
    case Options::RestartPolicy::kOnFailure:
      return !(exit.code == 0 || (exit.signal && *exit.signal == options_.stop_signal));
  }
  return true;
}

bool NodeProcess::StartLimitReached(TimePoint now) {
  auto kept = starts_.begin();
  while (kept != starts_.end() && now - *kept >= options_.start_limit_interval) ++kept;
  starts_.erase(starts_.begin(), kept);
  return options_.start_limit_burst > 0 &&
         static_cast<int64_t>(starts_.size()) >= options_.start_limit_burst;
}

NodeActions NodeProcess::Respawn() {
  ++restarts_;
  state_ = NodeState::kStarting;
  return NodeActions{.spawn = true};
}

}  // namespace zsup
