// What the stem reports, turned into state, events, history and echo.
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <set>

#include "broker/log.h"
#include "broker/utf8.h"
#include "supervisor/daemon.h"
#include "supervisor/notify.h"
#include "supervisor/start_gate.h"

namespace zsup {
namespace {

// Per wakeup, so that commands are served between batches of output and
// ZeroMQ's I/O thread gets to send what was published (~600 lines a frame).
constexpr size_t kMaxStemMessagesPerWakeup = 32;

}  // namespace

void Daemon::ServeStem(TimePoint now) {
  stem_->Flush();
  stem_->Receive(now, kMaxStemMessagesPerWakeup,
                 {[this](const stem::OutputView& output) { OnOutput(output); },
                  [this](stem::Message& message) { OnStemMessage(message); },
                  [this] { return OutputBlocked(); }});
}

bool Daemon::OutputBlocked() const {
  return echo_out_.over_limit() || echo_err_.over_limit() || publisher_->stalled();
}

void Daemon::OnStemMessage(stem::Message& message) {
  // Output never gets here: StemClient hands it over as an OutputView.
  if (auto* started = std::get_if<stem::NodeStarted>(&message)) {
    OnStarted(*started);
  } else if (auto* exited = std::get_if<stem::NodeExited>(&message)) {
    OnExited(*exited);
  } else if (auto* error = std::get_if<stem::NodeError>(&message)) {
    LogWarning(error->message);
    table_.OnError(error->name, error->message);
  } else if (auto* update = std::get_if<stem::NodeUpdate>(&message)) {
    OnUpdate(*update);
  } else if (auto* log = std::get_if<stem::StemLog>(&message)) {
    LogFormatted(log->line);
  } else if (auto* welcome = std::get_if<stem::Welcome>(&message)) {
    OnWelcome(*welcome);
  } else if (std::holds_alternative<stem::Bye>(message)) {
    stem_->Send(stem::ByeAck{});  // everything before it is read: the stem may go
    LogInfo("zsup-stem stopped every node");
    stem_said_bye_ = true;
    if (drain_deadline_) phase_ = Phase::kDone;  // it has exited already
  } else if (auto* unknown = std::get_if<stem::UnknownMessage>(&message)) {
    LogWarning("ignoring unknown message type '" + unknown->type + "' from zsup-stem");
  }
}

void Daemon::OnWelcome(const stem::Welcome& welcome) {
  TakeBackLostNodes(welcome);
  ReconcilePlan plan = Reconcile(table_, welcome.nodes);
  slots_.BeginWelcome();
  std::set<std::string> reported;
  for (const stem::NodeReport& r : welcome.nodes) {
    reported.insert(r.name);
    NodeView* view = table_.Find(r.name);
    const bool desired = view != nullptr && view->ShouldRun();
    const bool same = desired && view->fingerprint == r.fingerprint;
    if (same) {
      // Revived while no zsupd was listening: keep the count for a replay.
      if (r.restarts != view->restarts) RecordRestarts(r.name, r.restarts);
      table_.OnReport(r);
    }
    if (view != nullptr && r.pid) WatchNode(r.name, *r.pid);
    if (desired && !same) {
      LogInfo("node '" + r.name + "' runs with an older config: replacing it");
    } else if (view == nullptr) {
      LogInfo("node '" + r.name + "' is no longer configured: stopping it");
    } else if (!desired) {
      LogInfo("node '" + r.name + "' is stopped or failed: stopping its process");
    }
    Carry(slots_.Welcome(r.name, desired,
                         same ? StemSlots::Reported::kSameConfig : StemSlots::Reported::kOtherConfig));
  }
  for (const auto& [name, view] : table_.nodes()) {
    if (!reported.contains(name)) {
      Carry(slots_.Welcome(name, view.ShouldRun(), StemSlots::Reported::kNothing));
    }
  }
  slots_.EndWelcome();
  LogInfo("zsup-stem (pid " + std::to_string(welcome.stem_pid) + ") ready: " +
          std::to_string(plan.adopt.size()) + " node(s) adopted, " +
          std::to_string(plan.create.size()) + " started, " +
          std::to_string(plan.replace.size()) + " replaced, " +
          std::to_string(plan.destroy.size()) + " stopped");
  if (!ready_notified_) {
    ready_notified_ = true;
    NotifyReady(options_.ready_fd);
  }
}

void Daemon::OnStarted(const stem::NodeStarted& m) {
  if (table_.Find(m.name) == nullptr) return;  // destroyed meanwhile; its exit follows
  table_.OnStarted(m);
  if (m.restarts > 0) RecordRestarts(m.name, m.restarts);  // the first start leaves 0
  WatchNode(m.name, m.pid);
  publisher_->NodeStatus(NodeStatusEvent{m.name, m.pid, m.restarts, m.at});
}

void Daemon::OnExited(const stem::NodeExited& m) {
  if (auto it = node_pidfds_.find(m.name); it != node_pidfds_.end()) node_pidfds_.erase(it);
  publisher_->NodeExit(NodeExitEvent{m.name, m.pid, m.code, m.signal, m.commanded, m.at});
  if (NodeView* view = table_.Find(m.name)) {
    table_.OnExited(m);
    const StoredExit exit{ExitInfo{m.code, m.signal, m.at}, m.commanded};
    Status s = CheckedStore();
    if (s.ok()) s = store_->RecordExit(m.name, exit, view->restarts);
    if (!s.ok()) LogError(s.message());
  }
  if (NodeView* view = table_.Find(m.name);
      view != nullptr && !m.commanded &&
      (m.next == NodeState::kFailed || m.next == NodeState::kExited)) {
    Hold(*view, m.next, m.reason, m.at);
  }
  if (m.next == NodeState::kExited || m.next == NodeState::kFailed) Carry(slots_.Gone(m.name));
}

void Daemon::Hold(NodeView& view, NodeState hold, const std::optional<std::string>& reason,
                  double at) {
  view.hold = hold;
  view.failed_reason = hold == NodeState::kFailed ? reason : std::nullopt;
  const std::string& name = view.config.name;
  Status s = CheckedStore();
  if (s.ok()) s = store_->SetHold(name, std::string(StateName(hold)), view.failed_reason);
  if (!s.ok()) LogError(s.message());
  if (hold == NodeState::kFailed) {
    const std::string why = reason.value_or("failed");
    LogWarning("node '" + name + "' failed (" + why + "): not revived until started again");
    publisher_->NodeFailed(NodeFailedEvent{name, why, at});
  } else {
    LogInfo("node '" + name + "' exited and is not revived (restart_policy)");
  }
}

void Daemon::OnUpdate(const stem::NodeUpdate& u) {
  if (!u.gone) {
    if (table_.OnUpdate(u)) {
      const NodeView* view = table_.Find(u.name);
      publisher_->NodeReady(NodeReadyEvent{u.name, view->pid.value_or(0), u.at.value_or(WallNow())});
    }
    return;
  }
  // The stem forgot the node (destroyed, or stopped while it had no
  // process): a create of that name waiting for it can go ahead.
  Carry(slots_.Gone(u.name));
}

void Daemon::OnOutput(const stem::OutputView& m) {
  const int index = m.stream == Stream::kStdout ? 0 : 1;
  const std::string name(m.name);
  const bool desired = table_.Find(name) != nullptr;
  OutputRing* ring = desired ? &output_.Ring(name, m.stream) : nullptr;
  const std::string topic = EventTopic(
      m.stream == Stream::kStdout ? EventKind::kStdout : EventKind::kStderr, m.name);
  EchoWriter& echo = index == 0 ? echo_out_ : echo_err_;
  int64_t seq = m.first_seq;
  std::string scratch;
  for (std::string_view line : m.lines) {
    // The stem sends valid UTF-8; a frame from anything else must not make
    // zsupd publish strings its clients cannot decode.
    line = SanitizeUtf8(line, &scratch);
    bool show = options_.echo;
    for (const OutputHook& hook : hooks_[index]) {
      bool keep = true;
      try {
        keep = hook(m.name, line);
      } catch (const std::exception& e) {
        LogError(std::string("an output hook threw: ") + e.what());
      }
      if (!keep) {
        show = false;
        break;
      }
    }
    if (show) echo.AppendLine(m.name, line);
    if (ring != nullptr) ring->Add(line, seq, m.at);
    publisher_->Output(topic, m.name, line, seq, m.at);
    ++seq;
  }
  echo.OnWritable();
}

void Daemon::RecordRestarts(const std::string& name, int64_t restarts) {
  Status s = CheckedStore();
  if (s.ok()) s = store_->RecordRestarts(name, restarts);
  if (!s.ok()) LogError(s.message());
}

void Daemon::Carry(const StemSlots::Actions& actions, bool released) {
  for (const StemSlots::Action& a : actions) {
    switch (a.send) {
      case StemSlots::Send::kCreate:
        if (NodeView* view = table_.Find(a.name)) {
          if (!released) {
            const TimePoint now = SteadyNow();
            view->start_wanted_at = now;
            if (table_.staged()) {
              const StartGate::Decision d = StartGate(table_, now).Decide(*view);
              if (d.wait) {
                slots_.Defer(a.name);
                table_.OnCreateSent(a.name);  // waiting
                LogInfo("node '" + a.name + "' waits for '" + d.waits_for +
                        "' (an earlier stage) to be ready");
                break;
              }
            }
          }
          stem_->Send(stem::CreateNode{view->config, view->fingerprint, view->NextRestarts()});
          table_.OnCreateSent(a.name);
        }
        break;
      case StemSlots::Send::kDestroy: stem_->Send(stem::DestroyNode{a.name}); break;
      case StemSlots::Send::kRestart:
        stem_->Send(stem::RestartNode{a.name});
        table_.OnStopSent(a.name);
        break;
    }
  }
}

void Daemon::ReleaseGated(TimePoint now) {
  gate_deadline_.reset();
  if (slots_.gated().empty()) return;
  const StartGate gate(table_, now);
  const std::vector<std::string> gated = slots_.gated();  // Release() edits it
  for (const std::string& name : gated) {
    const NodeView* view = table_.Find(name);
    if (view == nullptr) continue;
    const StartGate::Decision d = gate.Decide(*view);
    if (d.wait) {
      if (!gate_deadline_ || d.until < *gate_deadline_) gate_deadline_ = d.until;
      continue;
    }
    if (d.timed_out_on) {
      LogWarning("node '" + name + "' starts although '" + *d.timed_out_on +
                 "' (an earlier stage) is not ready within its ready_timeout");
    }
    Carry(slots_.Release(name), /*released=*/true);
  }
}

void Daemon::WatchNode(const std::string& name, int64_t pid) {
  UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0)));
  if (fd) node_pidfds_[name] = std::move(fd);
}

}  // namespace zsup
