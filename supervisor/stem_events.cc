// What the stem reports, turned into state, events, history and echo.
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <set>
#include <span>
#include <utility>
#include <vector>

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
  return echo_out_.over_limit() || echo_err_.over_limit() || publisher_->stalled() ||
         (batches_ && batches_->stalled());
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
    session_.Bye();
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
  if (stem_->link_version() < 2) {
    // A stem older than readiness sends no NodeUpdate: running is ready.
    table_.Find(m.name)->ready = true;
    publisher_->NodeReady(NodeReadyEvent{m.name, m.pid, m.at});
  }
}

void Daemon::OnExited(const stem::NodeExited& m) {
  if (auto it = node_pidfds_.find(m.name); it != node_pidfds_.end()) node_pidfds_.erase(it);
  publisher_->NodeExit(NodeExitEvent{m.name, m.pid, m.code, m.signal, m.commanded, m.at});
  if (table_.Find(m.name) != nullptr) metrics_.NodeExited(m.name, m.code, m.signal);
  if (NodeView* view = table_.Find(m.name)) {
    table_.OnExited(m);
    const StoredExit exit{ExitInfo{m.code, m.signal, m.at, m.commanded}, m.commanded};
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
  const std::string& name = view.config.name();
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
  // Lines this zsupd published already come again when the stem reset the
  // link before their acknowledgement reached it: publish them once.
  const size_t repeated = ring != nullptr ? ring->Repeated(m.first_seq, m.lines.size()) : 0;
  const std::span<const std::string_view> lines(m.lines.data() + repeated, m.lines.size() - repeated);
  const int64_t first_seq = m.first_seq + static_cast<int64_t>(repeated);
  int64_t seq = first_seq;
  std::string scratch;
  // The batches socket gets the frame's lines as one message, as sanitized
  // for the events socket; `fixed` keeps the few lines that needed it.
  // A socket nobody is connected to would only drop what it is given:
  // encoding it costs about half of zsupd's work per line.
  const TimePoint now = SteadyNow();
  const bool to_events = AnyoneOn(*events_connections_, now);
  const bool to_batches = batches_ && AnyoneOn(*batches_connections_, now);
  std::vector<std::string_view> batch;
  std::deque<std::string> fixed;
  if (to_batches) batch.reserve(lines.size());
  if (desired) {
    size_t bytes = 0;
    for (std::string_view line : lines) bytes += line.size();
    metrics_.Output(name, m.stream, lines.size(), bytes);
  }
  for (std::string_view line : lines) {
    // The stem sends valid UTF-8; a frame from anything else must not make
    // zsupd publish strings its clients cannot decode.
    line = SanitizeUtf8(line, &scratch);
    if (to_batches) {
      if (line.data() == scratch.data()) line = fixed.emplace_back(scratch);
      batch.push_back(line);
    }
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
    if (to_events) publisher_->Output(topic, m.name, line, seq, m.at);
    ++seq;
  }
  if (to_batches) batches_->OutputBatch(topic, m.name, batch, first_seq, m.at);
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
          if (!view->ShouldRun()) {
            // A create that waited for an old process to be gone, and the
            // node failed meanwhile (its exit crossed the destroy).
            slots_.Drop(a.name);
            break;
          }
          view->start_wanted_at = SteadyNow();
          if (!released && table_.staged()) {
            // ReleaseGated decides, with one StartGate for every create of
            // this batch, on the next pass of the loop.
            slots_.Defer(a.name);
            table_.OnCreateSent(a.name);  // waiting
            break;
          }
          stem_->Send(
              stem::CreateNode{view->config.Get(), view->fingerprint, view->NextRestarts()});
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
  std::erase_if(logged_waiting_, [this](const std::string& n) { return !slots_.is_gated(n); });
  if (slots_.gated().empty() || session_.state() != StemSession::State::kRunning ||
      !stem_->welcomed()) {
    return;
  }
  // Lowest stage first: what is released here starts now, and the stages
  // above must see it as started (a fresh StartGate), not as held back.
  std::vector<std::pair<int64_t, std::string>> order;
  for (const std::string& name : slots_.gated()) {
    if (const NodeView* view = table_.Find(name)) order.emplace_back(StageOf(*view), name);
  }
  std::sort(order.begin(), order.end());
  std::optional<StartGate> gate;
  bool released = false;
  int64_t gate_stage = 0;
  for (const auto& [stage, name] : order) {
    if (!gate || (released && stage != gate_stage)) {
      gate.emplace(table_, now, slots_.gated());
      released = false;
      gate_stage = stage;
    }
    const StartGate::Decision d = gate->Decide(*table_.Find(name));
    if (d.wait) {
      if (d.until != TimePoint::max() && (!gate_deadline_ || d.until < *gate_deadline_)) {
        gate_deadline_ = d.until;
      }
      if (!logged_waiting_.contains(name)) {
        logged_waiting_.insert(name);
        LogInfo("node '" + name + "' waits for '" + d.waits_for + "' (an earlier stage)");
      }
      continue;
    }
    if (d.timed_out_on) {
      LogWarning("node '" + name + "' starts although '" + *d.timed_out_on +
                 "' (an earlier stage) is not ready within its ready_timeout");
    }
    logged_waiting_.erase(name);
    Carry(slots_.Release(name), /*released=*/true);
    released = true;
  }
}

void Daemon::WatchNode(const std::string& name, int64_t pid) {
  UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0)));
  if (fd) node_pidfds_[name] = std::move(fd);
}

}  // namespace zsup
