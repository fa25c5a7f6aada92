// The stem's loop as a class: internal to stem/ (the contract is in stem.h).
// Split across files by concern:
//   stem.cc           setup, the poll loop, signals, reaping, timers, the outbound queue
//   stem_messages.cc  what zsupd says (Hello, create, destroy, restart, shutdown)
//                     and carrying out SupervisorSession (the session with zsupd:
//                     losing it, the grace period, shutdown)
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>
#include <zmq.hpp>

#include "broker/clock.h"
#include "broker/fd.h"
#include "broker/link.h"
#include "broker/link_peer.h"
#include "broker/signals.h"
#include "broker/stem_protocol.h"
#include "stem/launch.h"
#include "stem/node_process.h"
#include "stem/notify_socket.h"
#include "stem/stem.h"
#include "stem/supervised_node.h"
#include "stem/supervisor_session.h"

namespace zsup {

inline constexpr Duration kFirstHelloTimeout = std::chrono::seconds(30);  // at least, whatever the grace
inline constexpr Duration kByeFlushTimeout = std::chrono::seconds(10);  // for ByeAck
// Output queued for zsupd, counting what ZeroMQ took but zsupd has not
// acknowledged yet; past it the stem stops reading the pipes it publishes
// (file-only ones go on) and those nodes block on write: nothing is dropped.
inline constexpr size_t kMaxQueuedBytes = 8 << 20;
// Time the stem spends on zsupd's messages per wakeup before it serves its
// timers and pipes again (well below kLinkSilence, after which zsupd gives the stem up).
inline constexpr Duration kMaxLinkHandling = std::chrono::milliseconds(50);
// Per pipe and wakeup, so one flooding node cannot starve the others.
inline constexpr size_t kMaxReadPerWakeup = 256 << 10;
// Spawns whose exec report (a pipe each) is not read yet. A burst of
// creates (an apply, a replay) waits in the link beyond this many, so the
// stem stays within its descriptor base (DescriptorBudget::kStemBase, 64,
// of which it uses about 20 itself) however many nodes start at once.
inline constexpr size_t kMaxSpawnsAwaitingExec = 32;

// zsupd's settings, with what the node's own config overrides (v2).
inline NodeProcess::Options NodeOptions(const stem::Settings& s, const NodeConfig& config) {
  NodeProcess::Options o{FromSeconds(config.stop_timeout.value_or(s.stop_timeout)),
                         FromSeconds(s.revival_cap)};
  if (config.stop_signal) o.stop_signal = SignalNumber(*config.stop_signal).value_or(SIGTERM);
  using Policy = NodeProcess::Options::RestartPolicy;
  if (config.restart_policy == "never") o.restart_policy = Policy::kNever;
  if (config.restart_policy == "on-failure") o.restart_policy = Policy::kOnFailure;
  o.permanent_failure_codes = config.permanent_failure_codes;
  o.start_limit_burst = config.start_limit_burst.value_or(0);
  if (config.start_limit_interval) o.start_limit_interval = FromSeconds(*config.start_limit_interval);
  o.ready_at_exec = !config.ready || *config.ready == "exec";
  o.ready_timeout = FromSeconds(config.ready_timeout.value_or(60.0));
  return o;
}

class Stem {
 public:
  explicit Stem(StemOptions options) : options_(std::move(options)), clock_(*options_.clock) {}
  int Run();

  // Run() in pieces, for a test that drives the loop itself
  // (stem_loop_test.cc): Init() once, then PollOnce() as often as it likes;
  // done() once the session ended.
  Status Init();
  void PollOnce();
  bool done() const { return session_ && session_->done(); }

 private:
  Status Lock();
  void HandleSignals(TimePoint now);
  void HandleLink(TimePoint now);
  void HandleMessage(stem::Message message, TimePoint now);
  void OnHello(const stem::Hello& hello, TimePoint now);
  void OnCreate(stem::CreateNode create, TimePoint now);
  void OnStop(const std::string& name, StopReason reason, TimePoint now);
  void OnReopen(const std::string& name);
  void BeginShutdown(TimePoint now);
  void SupervisorLost(const std::string& why, TimePoint now);
  // Carries out what SupervisorSession decided; `why` describes a loss of zsupd.
  void Do(const SupervisorSession::Actions& actions, const std::string& why, TimePoint now);
  void Reap(TimePoint now);
  void HandleExit(SupervisedNode& node, pid_t pid, int wait_status, TimePoint now);
  void HandleExecStatus(SupervisedNode& node, TimePoint now);
  // READY=1 / STATUS= datagrams, each credited to the node whose process
  // (or a descendant of it) sent it; others are ignored.
  void HandleNotify(TimePoint now);
  SupervisedNode* NodeOfProcess(pid_t pid);
  void Apply(SupervisedNode& node, NodeActions actions, TimePoint now);
  void RunTimers(TimePoint now);
  std::optional<TimePoint> NextDeadline() const;
  // Queues a NodeUpdate when the node's state or pid changed (v2 peers).
  void ReportUpdate(SupervisedNode& node, TimePoint now);
  // SIGKILL to what dead nodes left behind (re-parented to the stem).
  void KillLeftovers();
  // Messages zsupd never read (exits, errors, log lines; not output), left
  // in DIR/stem.unsent for the next zsupd when the stem exits without one.
  void SaveUnsent();
  static void ForwardLog(std::string_view line, void* stem);
  void Queue(std::string frame);
  void Queue(const stem::Message& message) { Queue(stem::Encode(message)); }
  void QueueFrames(std::vector<std::string>& frames);
  void FlushOutbound();

  StemOptions options_;
  const Clock& clock_;
  LaunchContext launch_;
  zmq::context_t context_{1};
  std::unique_ptr<Link> link_;
  UniqueFd signals_;
  UniqueFd lock_;
  UniqueFd supervisor_pidfd_;
  std::optional<NotifySocket> notify_;
  std::map<std::string, std::unique_ptr<SupervisedNode>> nodes_;
  // Nodes whose exec report is due (counted each pass, plus this pass's
  // spawns): the link is read only below kMaxSpawnsAwaitingExec.
  size_t awaiting_exec_ = 0;
  std::unordered_map<pid_t, SupervisedNode*> by_pid_;
  LinkQueue outbound_;
  int64_t supervisor_pid_ = 0;
  int64_t peer_version_ = 1;  // link version agreed with the last zsupd
  int64_t last_output_id_ = 0;  // of the last output frame queued (NodeOutput.id)
  const pid_t parent_pid_ = ::getppid();  // the zsupd whose stderr we inherited
  // Waiting for a zsupd, connected, stopping, saying Bye, done (made in Init).
  std::optional<SupervisorSession> session_;
};

}  // namespace zsup
