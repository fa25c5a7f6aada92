// The stem's handling of what zsupd says, and of losing zsupd.
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "broker/log.h"
#include "stem/stem_loop.h"

namespace zsup {

void Stem::HandleLink(TimePoint now) {
  // Bounded in count and in time, so a flood of commands (a create spawns
  // a process: a thousand of them take seconds under load) cannot starve
  // the node pipes or the heartbeat zsupd watches. What is left is still
  // readable at the next poll.
  // A budget of real time (CPU spent here), not of the loop's clock.
  const TimePoint stop_at = SteadyNow() + kMaxLinkHandling;
  for (int i = 0; i < 1000 && (i == 0 || SteadyNow() < stop_at) &&
                  awaiting_exec_ < kMaxSpawnsAwaitingExec;
       ++i) {
    auto msg = link_->TryReceive();
    if (!msg.ok()) {
      LogError(msg.error());
      return;
    }
    if (!msg->has_value()) return;
    session_->Heard(now);
    auto decoded = stem::Decode((*msg)->to_string_view());
    if (!decoded.ok()) {
      LogError("bad message from zsupd: " + decoded.error());
      continue;
    }
    HandleMessage(std::move(*decoded), now);
  }
}

void Stem::OnReopen(const std::string& name) {
  auto it = nodes_.find(name);
  if (it == nodes_.end()) return;  // gone meanwhile: nothing to reopen
  Status s = it->second->ReopenFiles();
  if (s.ok()) {
    LogInfo("node '" + name + "': reopened its output files");
  } else {
    LogError(s.message());
    Queue(stem::NodeError{name, s.message()});
  }
}

void Stem::HandleMessage(stem::Message message, TimePoint now) {
  if (auto* m = std::get_if<stem::Hello>(&message)) return OnHello(*m, now);
  if (auto* m = std::get_if<stem::CreateNode>(&message)) return OnCreate(std::move(*m), now);
  if (auto* m = std::get_if<stem::DestroyNode>(&message)) return OnStop(m->name, StopReason::kDestroy, now);
  if (auto* m = std::get_if<stem::RestartNode>(&message)) return OnStop(m->name, StopReason::kRestart, now);
  if (auto* m = std::get_if<stem::ReopenNode>(&message)) return OnReopen(m->name);
  if (std::holds_alternative<stem::Shutdown>(message)) {
    LogInfo("shutdown requested by zsupd");
    return BeginShutdown(now);
  }
  if (std::holds_alternative<stem::Heartbeat>(message)) return;
  if (auto* m = std::get_if<stem::OutputAck>(&message)) return outbound_.Acked(m->through);
  if (std::holds_alternative<stem::ByeAck>(message)) {
    session_->ByeAck();
    return;
  }
  if (auto* m = std::get_if<stem::RejectedCreate>(&message)) {
    const std::string error = "zsup-stem (protocol version " +
                              std::to_string(stem::kProtocolVersion) + ") cannot run node '" +
                              m->name + "': " + m->error +
                              "; a newer zsup-stem is needed (it is started anew when the "
                              "current one exits, e.g. after an orderly zsupd shutdown)";
    LogError(error);
    Queue(stem::NodeError{m->name, error});
    return;
  }
  if (auto* m = std::get_if<stem::UnknownMessage>(&message)) {
    LogWarning("ignoring unknown message type '" + m->type + "' from zsupd");
    return;
  }
  LogWarning("ignoring a message zsupd should not send");
}

void Stem::OnHello(const stem::Hello& hello, TimePoint now) {
  supervisor_pid_ = hello.supervisor_pid;
  supervisor_pidfd_.Reset(static_cast<int>(::syscall(SYS_pidfd_open, hello.supervisor_pid, 0)));
  if (!supervisor_pidfd_) {
    LogWarning("cannot watch zsupd (pid " + std::to_string(hello.supervisor_pid) +
               "): " + std::strerror(errno) + "; relying on heartbeats");
  }
  // The stem's stderr is the log of the zsupd that started it. Adopted by
  // another (v2) zsupd, it logs into that one's log instead, over the link,
  // and keeps what it logs while disconnected for the next zsupd.
  peer_version_ = std::min(hello.version, stem::kProtocolVersion);
  // A zsupd before v4 never acknowledges output: keep nothing for it.
  outbound_.Retain(peer_version_ >= 4);
  const bool own_zsupd = hello.supervisor_pid == parent_pid_;
  SetLogSink(peer_version_ >= 2 && !own_zsupd ? &Stem::ForwardLog : nullptr, this);
  options_.settings = hello.settings;
  launch_.zeek_path = hello.settings.zeek_path;
  for (auto& [name, node] : nodes_) {
    node->process().set_options(NodeOptions(hello.settings, node->config()));
  }
  session_->Hello(now);
  stem::Welcome welcome;
  welcome.version = std::min(hello.version, stem::kProtocolVersion);
  welcome.stem_pid = ::getpid();
  for (const auto& [name, node] : nodes_) {
    welcome.nodes.push_back(node->Report());
    if (peer_version_ < 2) welcome.nodes.back().config.reset();
    node->TakeUpdate(now);  // the report says it all
  }
  LogInfo("zsupd (pid " + std::to_string(hello.supervisor_pid) + ") connected; reporting " +
          std::to_string(welcome.nodes.size()) + " node(s)");
  Queue(welcome);
}

void Stem::OnCreate(stem::CreateNode create, TimePoint now) {
  const std::string name = create.config.name;
  if (session_->stopping()) {
    Queue(stem::NodeError{name, "node '" + name + "' not started: the stem is shutting down"});
    return;
  }
  if (auto it = nodes_.find(name); it != nodes_.end()) {
    if (it->second->fingerprint() != create.fingerprint) {
      Queue(stem::NodeError{name, "node '" + name + "' already runs with a different config"});
    }
    return;  // same config: a repeated create is a no-op
  }
  const NodeProcess::Options options = NodeOptions(options_.settings, create.config);
  auto node = std::make_unique<SupervisedNode>(std::move(create.config), create.fingerprint,
                                               options, create.restarts, clock_);
  SupervisedNode& ref = *node;
  nodes_.emplace(name, std::move(node));
  Apply(ref, ref.process().Start(now), now);
}

void Stem::OnStop(const std::string& name, StopReason reason, TimePoint now) {
  auto it = nodes_.find(name);
  if (it == nodes_.end()) return;  // already gone
  Apply(*it->second, it->second->process().Stop(reason, now), now);
}

void Stem::BeginShutdown(TimePoint now) { Do(session_->Shutdown(), "", now); }

void Stem::SupervisorLost(const std::string& why, TimePoint now) {
  supervisor_pidfd_.Reset();
  Do(session_->Lost(now, FromSeconds(options_.settings.grace), SupervisorSession::Why::kNone),
     why, now);
}

void Stem::Do(const SupervisorSession::Actions& a, const std::string& why, TimePoint now) {
  using Why = SupervisorSession::Why;
  if (a.heartbeat) Queue(stem::Heartbeat{});
  if (a.reset_link) {
    supervisor_pidfd_.Reset();
    // A bound PAIR socket whose peer died with messages in flight may ignore
    // the next peer: start over with a fresh one. The output it never
    // acknowledged goes first to the next zsupd, which may publish a few
    // lines twice (with the same seq) rather than lose them.
    outbound_.Requeue();
    outbound_.Retain(true);
    Status s = link_->Reset();
    if (!s.ok()) LogError(s.message());
    if (a.why == Why::kGraceZero) {
      LogWarning(why + "; grace period is 0: stopping every node");
    } else if (session_->state() == SupervisorSession::State::kWaiting) {
      LogWarning(why + "; nodes keep running, waiting " +
                 std::to_string(static_cast<int>(options_.settings.grace)) +
                 " s for a zsupd to reconnect");
    }
  }
  if (a.why == Why::kGraceOver) {
    LogWarning("no zsupd connected within the grace period: stopping every node");
  }
  if (a.stop_nodes) {
    std::vector<SupervisedNode*> all;
    for (auto& [name, node] : nodes_) all.push_back(node.get());
    for (SupervisedNode* node : all) {
      Apply(*node, node->process().Stop(StopReason::kShutdown, now), now);
    }
  }
  if (a.bye) Queue(stem::Bye{});
}

}  // namespace zsup
