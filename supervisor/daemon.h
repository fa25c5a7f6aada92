// The implementation behind Supervisor (supervisor.h): zsupd's one loop.
// Internal to supervisor/. Split across files by concern:
//   daemon.cc       setup, the poll loop, signals, shutdown, losing the stem
//   listeners.cc    binding the control and events sockets, their connections,
//                   refusing connections while descriptors run short
//   state_db.cc     state.db: loading, noticing it lost, rewriting it
//   commands.cc     the control socket (ping/create/destroy/restart/status/tail/stop/start)
//   apply.cc        apply: a whole desired set in one transaction
//   stem_events.cc  what the stem reports: Welcome (adoption), starts, exits, output
// The state that matters lives in pure state machines the Daemon executes:
// StemSession (the stem process: running, lost, stopping, draining, done),
// StemSlots (what the stem holds under each name), StartGate (start order),
// Publisher and Admission (subscribers, descriptors).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "broker/clock.h"
#include "broker/fd.h"
#include "broker/messages.h"
#include "broker/stem_protocol.h"
#include "store/store.h"
#include "supervisor/admission.h"
#include "supervisor/connections.h"
#include "supervisor/curve_auth.h"
#include "supervisor/descriptor_budget.h"
#include "supervisor/echo_writer.h"
#include "supervisor/metrics.h"
#include "supervisor/node_table.h"
#include "supervisor/output_log.h"
#include "supervisor/publisher.h"
#include "supervisor/stem_client.h"
#include "supervisor/stem_session.h"
#include "supervisor/stem_slots.h"
#include "supervisor/supervisor.h"

namespace zsup {

class Daemon {
 public:
  explicit Daemon(SupervisorOptions options);
  ~Daemon();

  void AddHook(Stream stream, OutputHook hook);
  Status Run();
  void RequestStop();

 private:
  // daemon.cc
  Status Init();
  // state_db.cc
  Status OpenDesiredState();
  // OK when store_ is the database on disk; else rewrites the desired state
  // from memory into a new state.db first (it was deleted, replaced or
  // truncated), or says why it cannot. Call before every write.
  Status CheckedStore();
  // The first Welcome after zsupd found state.db new or empty: nodes the
  // stem runs were lost with the database; take them back.
  void TakeBackLostNodes(const stem::Welcome& welcome);

  void PollOnce();
  void HandleSignals(TimePoint now);
  void BeginShutdown(TimePoint now, const std::string& why);
  void Tick(TimePoint now);
  std::optional<TimePoint> NextDeadline() const;
  void OnStemGone(const std::string& how, TimePoint now);
  // Handles what a stem that is gone said last: frames still on the link,
  // and those it left in DIR/stem.unsent (broker/unsent_frames.h).
  void TakeStemRemains(TimePoint now);
  // Carries out what StemSession decided.
  void Do(const StemSession::Actions& actions, TimePoint now);
  // StemSession's timers: a new stem once a lost one's nodes are gone, the
  // stop and drain deadlines.
  void TickSession(TimePoint now);
  void Finish();

  // listeners.cc
  // Creates and binds the control, events and batches sockets, each watched
  // by a Connections monitor, and the Admission that keeps descriptors in
  // reserve.
  Status OpenListeners();
  // The events or batches socket (`name`) and its monitor; `largest_event`
  // as in Publisher::Options.
  Status OpenPublisher(const std::string& name, const std::string& endpoint, size_t largest_event,
                       std::unique_ptr<Publisher>* publisher,
                       std::unique_ptr<Connections>* connections);
  // The monitors of every socket clients connect to.
  std::vector<Connections*> ClientConnections() const;
  Status BindListeners();
  void UnbindListeners();
  void ServeMonitors(TimePoint now);
  // Whether any client is connected to the socket `connections` watches.
  bool AnyoneOn(Connections& connections, TimePoint now);
  void RecountDescriptors(TimePoint now);

  // commands.cc
  void ServeControl(TimePoint now);
  // `read_only`: the request came with a read-only CURVE key (ping,
  // status and tail only).
  std::string Execute(std::string_view request_bytes, Access access = Access::kFull);
  // CURVE for the tcp endpoints (unless --insecure-tcp): the server keys
  // and the authenticator, set on `socket` when `endpoint` is tcp://.
  Status SecureTcp(zmq::socket_t& socket, const std::string& endpoint, const char* what);
  std::string Create(const NodeConfig& config);
  // The names a selector picks (docs/protocol.md), sorted; refused with
  // "no node named '<name>'" when `node` or one of `nodes` is unknown.
  Result<std::vector<std::string>> SelectNodes(const Selector& selector);
  std::string GetStatus(const StatusRequest& request);
  std::string Destroy(const std::vector<std::string>& names);
  std::string Restart(const std::vector<std::string>& names);
  std::string Stop(const std::vector<std::string>& names);
  std::string Start(const std::vector<std::string>& names);
  std::string Reopen(const std::vector<std::string>& names);
  // Commits the nodes' desired state (up: start, down: stop) and tells the
  // stem; nodes already there are left alone.
  Status SetDesired(const std::vector<std::string>& names, bool up);
  bool ForgetsAtOnce(const std::string& name);
  std::string Tail(const TailRequest& request);
  // create's checks after the name and "already exists": fields, exec size,
  // config size.
  Status ValidateAllButName(const NodeConfig& config) const;
  // Whether the desired state may hold `nodes` nodes when the stem's
  // descriptors change by `more` minus `fewer` (descriptor_budget.h).
  Status CheckDescriptors(size_t nodes, size_t more, size_t fewer) const;
  // Creates the node's `directory` (relative: in the state directory),
  // owned by its `user` when it has one.
  Status MakeNodeDirectory(const NodeConfig& config) const;

  // apply.cc
  std::string Apply(ApplyRequest request);

  // stem_events.cc
  void ServeStem(TimePoint now);
  // Echo or events cannot take more output now: leave it in the stem.
  bool OutputBlocked() const;
  void OnStemMessage(stem::Message& message);
  void OnWelcome(const stem::Welcome& welcome);
  void OnStarted(const stem::NodeStarted& m);
  void OnExited(const stem::NodeExited& m);
  void OnOutput(const stem::OutputView& m);
  void OnUpdate(const stem::NodeUpdate& m);
  // The stem gave up on the node (failed, or exited by its restart policy):
  // persisted, and published for failed.
  void Hold(NodeView& view, NodeState hold, const std::optional<std::string>& reason, double at);
  // Sends what StemSlots decided. A create waits in StemSlots' `gated`
  // when StartGate says its stage must wait, unless it is being `released`.
  void Carry(const StemSlots::Actions& actions, bool released = false);
  // Sends the held-back creates whose stage may start now.
  void ReleaseGated(TimePoint now);
  void WatchNode(const std::string& name, int64_t pid);
  void RecordRestarts(const std::string& name, int64_t restarts);

  SupervisorOptions options_;
  std::vector<OutputHook> hooks_[2];
  std::unique_ptr<zmq::context_t> context_;  // made after signals are blocked
  UniqueFd lock_;
  UniqueFd signals_;
  UniqueFd wake_;  // eventfd for RequestStop()
  std::unique_ptr<Store> store_;
  bool store_was_fresh_ = false;
  TimePoint next_store_check_{};
  zmq::socket_t control_;
  std::unique_ptr<Publisher> publisher_;
  std::unique_ptr<Connections> control_connections_;
  std::unique_ptr<Connections> events_connections_;
  std::unique_ptr<Publisher> batches_;  // unless --no-batches
  std::unique_ptr<Connections> batches_connections_;
  std::unique_ptr<Admission> admission_;
  std::unique_ptr<ZapHandler> zap_;  // set when a tcp endpoint is served with CURVE
  Metrics metrics_;
  std::unique_ptr<MetricsServer> metrics_server_;  // with --metrics
  std::optional<gid_t> socket_gid_;                // --socket-group
  bool curve_control_ = false;  // the control socket is a CURVE server: every request has a User-Id
  std::string_view last_command_ = "invalid";      // of the request Execute() last read
  std::unique_ptr<StemClient> stem_;
  NodeTable table_;
  OutputLog output_;
  EchoWriter echo_out_{1};
  EchoWriter echo_err_{2};

  // pidfds of running nodes, so that when the stem dies its nodes can be
  // killed and waited for before a new stem starts them again.
  std::map<std::string, UniqueFd> node_pidfds_;
  std::vector<UniqueFd> dying_;
  StemSession session_{StemSession::Options{}};  // running, lost, stopping, draining, done
  StemSlots slots_;  // what the stem holds under each name
  std::optional<TimePoint> gate_deadline_;  // when a held-back create stops waiting
  std::set<std::string> logged_waiting_;    // held back, and said so in the log
  bool ready_notified_ = false;
  size_t exec_budget_ = 0;  // bytes a config's command and env may take (ValidateExecSize)
  DescriptorBudget descriptors_;  // how many nodes the open-file limit allows (set with the listeners)
};

}  // namespace zsup
