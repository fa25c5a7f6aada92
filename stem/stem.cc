#include "stem/stem.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <unordered_map>
#include <zmq.hpp>

#include "broker/clock.h"
#include "broker/link.h"
#include "broker/log.h"
#include "broker/signals.h"
#include "stem/supervised_node.h"

namespace zsup {
namespace {

using std::chrono::seconds;

constexpr Duration kHeartbeatInterval = seconds(1);
constexpr Duration kSupervisorTimeout = seconds(5);
constexpr Duration kFirstHelloTimeout = seconds(30);  // at least, whatever the grace
constexpr Duration kByeFlushTimeout = seconds(2);
// Output queued for zsupd beyond what ZeroMQ holds; past it the stem stops
// reading node pipes and the nodes block on write: nothing is dropped.
constexpr size_t kMaxQueuedBytes = 8 << 20;
// Per pipe and wakeup, so one flooding node cannot starve the others.
constexpr size_t kMaxReadPerWakeup = 256 << 10;

NodeProcess::Options NodeOptions(const stem::Settings& s) {
  return {FromSeconds(s.stop_timeout), FromSeconds(s.revival_cap)};
}

class Stem {
 public:
  explicit Stem(StemOptions options) : options_(std::move(options)) {}
  int Run();

 private:
  Status Init();
  Status Lock();
  void PollOnce();
  void HandleSignals(TimePoint now);
  void HandleLink(TimePoint now);
  void HandleMessage(stem::Message message, TimePoint now);
  void OnHello(const stem::Hello& hello, TimePoint now);
  void OnCreate(stem::CreateNode create, TimePoint now);
  void OnStop(const std::string& name, StopReason reason, TimePoint now);
  void BeginShutdown(TimePoint now);
  void SupervisorLost(const std::string& why, TimePoint now);
  void Reap(TimePoint now);
  void HandleExit(SupervisedNode& node, pid_t pid, int wait_status, TimePoint now);
  void HandleExecStatus(SupervisedNode& node, TimePoint now);
  void Apply(SupervisedNode& node, NodeActions actions, TimePoint now);
  void RunTimers(TimePoint now);
  std::optional<TimePoint> NextDeadline() const;
  void Queue(std::string frame);
  void Queue(const stem::Message& message) { Queue(stem::Encode(message)); }
  void QueueFrames(std::vector<std::string>& frames);
  void FlushOutbound();

  StemOptions options_;
  LaunchContext launch_;
  zmq::context_t context_{1};
  std::unique_ptr<Link> link_;
  UniqueFd signals_;
  UniqueFd lock_;
  UniqueFd supervisor_pidfd_;
  std::map<std::string, std::unique_ptr<SupervisedNode>> nodes_;
  std::unordered_map<pid_t, SupervisedNode*> by_pid_;
  std::deque<std::string> outbound_;
  size_t outbound_bytes_ = 0;
  bool connected_ = false;  // a Hello arrived on the current socket
  int64_t supervisor_pid_ = 0;
  TimePoint last_heard_;
  TimePoint next_heartbeat_;
  std::optional<TimePoint> grace_deadline_;
  bool shutting_down_ = false;
  std::optional<TimePoint> exit_deadline_;  // Bye queued: leave once flushed or by then
  bool done_ = false;
};

Status Stem::Lock() {
  const std::string path = options_.state_dir + "/stem.lock";
  lock_.Reset(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock_) return Status::Errno("cannot open " + path, errno);
  if (::flock(lock_.get(), LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {};
    ssize_t n = ::pread(lock_.get(), buf, sizeof buf - 1, 0);
    return Status::Error("another zsup-stem (pid " + std::string(buf, n > 0 ? n : 0) +
                         ") already runs for " + options_.state_dir);
  }
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(lock_.get(), 0) != 0 ||
      ::pwrite(lock_.get(), pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    return Status::Errno("cannot write " + path, errno);
  }
  return Status::Ok();
}

Status Stem::Init() {
  auto sig = BlockSignals({SIGCHLD, SIGTERM, SIGINT, SIGHUP});
  if (!sig.ok()) return sig.status();
  signals_ = std::move(*sig);
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) return Status::Errno("PR_SET_CHILD_SUBREAPER", errno);
  Status s = Lock();
  if (!s.ok()) return s;
  launch_.zeek_path = options_.settings.zeek_path;
  launch_.base_env = CurrentEnvironment();
  launch_.node_json_dir = options_.state_dir + "/nodes";
  ::mkdir(launch_.node_json_dir.c_str(), 0700);
  auto link = Link::Create(context_, options_.endpoint, Link::Role::kBind);
  if (!link.ok()) return link.status();
  link_ = std::move(*link);
  const TimePoint now = SteadyNow();
  grace_deadline_ = now + std::max(kFirstHelloTimeout, FromSeconds(options_.settings.grace));
  return Status::Ok();
}

int Stem::Run() {
  Status s = Init();
  if (!s.ok()) {
    LogError(s.message());
    return 1;
  }
  LogInfo("listening on " + options_.endpoint);
  while (!done_) PollOnce();
  // Give ZeroMQ a moment to deliver the Bye before the socket goes.
  link_->socket().set(zmq::sockopt::linger, 1000);
  LogInfo("exiting");
  return 0;
}

void Stem::PollOnce() {
  TimePoint now = SteadyNow();
  RunTimers(now);
  FlushOutbound();
  if (exit_deadline_ && outbound_.empty()) done_ = true;  // Bye handed to ZeroMQ
  if (done_) return;

  enum class Kind { kLink, kSignals, kSupervisor, kStatus, kStdout, kStderr };
  struct Target {
    Kind kind;
    SupervisedNode* node;
  };
  std::vector<zmq::pollitem_t> items;
  std::vector<Target> targets;
  auto add = [&](void* socket, int fd, short events, Kind kind, SupervisedNode* node) {
    items.push_back({socket, fd, events, 0});
    targets.push_back({kind, node});
  };
  add(link_->socket().handle(), 0,
      static_cast<short>(ZMQ_POLLIN | (outbound_.empty() ? 0 : ZMQ_POLLOUT)), Kind::kLink, nullptr);
  add(nullptr, signals_.get(), ZMQ_POLLIN, Kind::kSignals, nullptr);
  if (supervisor_pidfd_) add(nullptr, supervisor_pidfd_.get(), ZMQ_POLLIN, Kind::kSupervisor, nullptr);
  const bool read_output = outbound_bytes_ < kMaxQueuedBytes;
  for (auto& [name, node] : nodes_) {
    if (node->status_fd() >= 0) add(nullptr, node->status_fd(), ZMQ_POLLIN, Kind::kStatus, node.get());
    if (!read_output) continue;
    if (node->stream_fd(Stream::kStdout) >= 0) {
      add(nullptr, node->stream_fd(Stream::kStdout), ZMQ_POLLIN, Kind::kStdout, node.get());
    }
    if (node->stream_fd(Stream::kStderr) >= 0) {
      add(nullptr, node->stream_fd(Stream::kStderr), ZMQ_POLLIN, Kind::kStderr, node.get());
    }
  }

  long timeout = -1;
  if (auto deadline = NextDeadline()) timeout = MillisUntil(*deadline, now);
  try {
    zmq::poll(items, std::chrono::milliseconds(timeout));
  } catch (const zmq::error_t& e) {
    if (e.num() != EINTR) LogError(std::string("poll: ") + e.what());
    return;
  }
  now = SteadyNow();

  // Node descriptors first: their handlers never remove a node, so the
  // pointers in `targets` stay valid until the signal and link handlers run.
  std::vector<std::string> frames;
  bool link_ready = false, signals_ready = false, supervisor_gone = false;
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].revents == 0) continue;
    switch (targets[i].kind) {
      case Kind::kLink: link_ready = true; break;
      case Kind::kSignals: signals_ready = true; break;
      case Kind::kSupervisor: supervisor_gone = true; break;
      case Kind::kStatus: HandleExecStatus(*targets[i].node, now); break;
      case Kind::kStdout:
        targets[i].node->ReadStream(Stream::kStdout, kMaxReadPerWakeup, &frames);
        break;
      case Kind::kStderr:
        targets[i].node->ReadStream(Stream::kStderr, kMaxReadPerWakeup, &frames);
        break;
    }
  }
  QueueFrames(frames);
  if (signals_ready) HandleSignals(now);
  if (supervisor_gone) SupervisorLost("zsupd (pid " + std::to_string(supervisor_pid_) + ") exited", now);
  if (link_ready) HandleLink(now);
}

void Stem::HandleSignals(TimePoint now) {
  for (int sig : ReadSignals(signals_.get())) {
    switch (sig) {
      case SIGCHLD: Reap(now); break;
      case SIGTERM:
      case SIGINT:
        LogInfo(std::string("received ") + sigabbrev_np(sig) + ": stopping every node");
        BeginShutdown(now);
        break;
      default: LogInfo(std::string("ignoring SIG") + sigabbrev_np(sig)); break;
    }
  }
}

void Stem::HandleLink(TimePoint now) {
  // Bounded so a flood of commands cannot starve the node pipes.
  for (int i = 0; i < 1000; ++i) {
    auto msg = link_->TryReceive();
    if (!msg.ok()) {
      LogError(msg.error());
      return;
    }
    if (!msg->has_value()) return;
    last_heard_ = now;
    auto decoded = stem::Decode((*msg)->to_string_view());
    if (!decoded.ok()) {
      LogError("bad message from zsupd: " + decoded.error());
      continue;
    }
    HandleMessage(std::move(*decoded), now);
  }
}

void Stem::HandleMessage(stem::Message message, TimePoint now) {
  if (auto* m = std::get_if<stem::Hello>(&message)) return OnHello(*m, now);
  if (auto* m = std::get_if<stem::CreateNode>(&message)) return OnCreate(std::move(*m), now);
  if (auto* m = std::get_if<stem::DestroyNode>(&message)) return OnStop(m->name, StopReason::kDestroy, now);
  if (auto* m = std::get_if<stem::RestartNode>(&message)) return OnStop(m->name, StopReason::kRestart, now);
  if (std::holds_alternative<stem::Shutdown>(message)) {
    LogInfo("shutdown requested by zsupd");
    return BeginShutdown(now);
  }
  if (std::holds_alternative<stem::Heartbeat>(message)) return;
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
  options_.settings = hello.settings;
  launch_.zeek_path = hello.settings.zeek_path;
  for (auto& [name, node] : nodes_) node->process().set_options(NodeOptions(hello.settings));
  connected_ = true;
  grace_deadline_.reset();
  next_heartbeat_ = now + kHeartbeatInterval;
  stem::Welcome welcome;
  welcome.version = std::min(hello.version, stem::kProtocolVersion);
  welcome.stem_pid = ::getpid();
  for (const auto& [name, node] : nodes_) welcome.nodes.push_back(node->Report());
  LogInfo("zsupd (pid " + std::to_string(hello.supervisor_pid) + ") connected; reporting " +
          std::to_string(welcome.nodes.size()) + " node(s)");
  Queue(welcome);
}

void Stem::OnCreate(stem::CreateNode create, TimePoint now) {
  const std::string name = create.config.name;
  if (shutting_down_) {
    Queue(stem::NodeError{name, "node '" + name + "' not started: the stem is shutting down"});
    return;
  }
  if (auto it = nodes_.find(name); it != nodes_.end()) {
    if (it->second->fingerprint() != create.fingerprint) {
      Queue(stem::NodeError{name, "node '" + name + "' already runs with a different config"});
    }
    return;  // same config: a repeated create is a no-op
  }
  auto node = std::make_unique<SupervisedNode>(std::move(create.config), create.fingerprint,
                                               NodeOptions(options_.settings), create.restarts);
  SupervisedNode& ref = *node;
  nodes_.emplace(name, std::move(node));
  Apply(ref, ref.process().Start(now), now);
}

void Stem::OnStop(const std::string& name, StopReason reason, TimePoint now) {
  auto it = nodes_.find(name);
  if (it == nodes_.end()) return;  // already gone
  Apply(*it->second, it->second->process().Stop(reason, now), now);
}

void Stem::BeginShutdown(TimePoint now) {
  shutting_down_ = true;
  grace_deadline_.reset();
  std::vector<SupervisedNode*> all;
  for (auto& [name, node] : nodes_) all.push_back(node.get());
  for (SupervisedNode* node : all) Apply(*node, node->process().Stop(StopReason::kShutdown, now), now);
}

void Stem::SupervisorLost(const std::string& why, TimePoint now) {
  supervisor_pidfd_.Reset();
  if (!connected_) return;
  connected_ = false;
  // A bound PAIR socket whose peer died with messages in flight may ignore
  // the next peer: start over with a fresh one.
  Status s = link_->Reset();
  if (!s.ok()) LogError(s.message());
  const double grace = options_.settings.grace;
  if (shutting_down_) return;
  if (grace <= 0) {
    LogWarning(why + "; grace period is 0: stopping every node");
    BeginShutdown(now);
    return;
  }
  LogWarning(why + "; nodes keep running, waiting " + std::to_string(static_cast<int>(grace)) +
             " s for a zsupd to reconnect");
  grace_deadline_ = now + FromSeconds(grace);
}

void Stem::Reap(TimePoint now) {
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;  // 0: none left to reap now; -1: no children
    auto it = by_pid_.find(pid);
    if (it == by_pid_.end()) continue;  // an orphan we adopted as subreaper
    SupervisedNode* node = it->second;
    by_pid_.erase(it);
    HandleExit(*node, pid, status, now);
  }
}

void Stem::HandleExecStatus(SupervisedNode& node, TimePoint now) {
  auto report = node.ReadExecStatus();
  if (!report) return;
  // NodeStarted first: zsupd clears a node's last error when it starts, and
  // a warning about this start (e.g. CPU pinning) must outlive that.
  if (report->exec_ok) Apply(node, node.process().ExecSucceeded(now), now);
  for (const std::string& w : report->warnings) {
    LogWarning(w);
    Queue(stem::NodeError{node.name(), w});
  }
  if (!report->exec_ok) {
    LogError(*report->failure);
    Queue(stem::NodeError{node.name(), *report->failure});
    // the exit (127) follows and counts as a crash
  }
}

void Stem::HandleExit(SupervisedNode& node, pid_t pid, int wait_status, TimePoint now) {
  // In order: how the exec went, the last output, then the exit itself.
  if (node.status_fd() >= 0) HandleExecStatus(node, now);
  std::vector<std::string> frames;
  node.DrainOutput(&frames);
  QueueFrames(frames);
  // Whatever the node left in its process group goes with it, so that a
  // replacement never runs beside remains of the process it replaces.
  ::kill(-pid, SIGKILL);

  ExitInfo exit;
  exit.at = WallNow();
  if (WIFEXITED(wait_status)) exit.code = WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) exit.signal = WTERMSIG(wait_status);
  NodeActions actions = node.process().Exited(exit, now);
  stem::NodeExited report{node.name(),     pid,     exit.code, exit.signal,
                          node.process().last_exit_commanded(), exit.at, node.process().state(),
                          node.process().restarts()};
  if (!report.commanded) {
    LogInfo("node '" + node.name() + "' (pid " + std::to_string(pid) + ") exited by itself" +
            (exit.code ? " with code " + std::to_string(*exit.code)
                       : " on signal " + std::to_string(exit.signal.value_or(0))));
  }
  Queue(report);
  Apply(node, actions, now);
}

void Stem::Apply(SupervisedNode& node, NodeActions actions, TimePoint now) {
  if (actions.signal != 0 && node.process().pid()) {
    const pid_t pid = *node.process().pid();
    if (::kill(-pid, actions.signal) != 0) ::kill(pid, actions.signal);
  }
  if (actions.report_started) {
    Queue(stem::NodeStarted{node.name(), *node.process().pid(), node.process().restarts(),
                            node.started_wall()});
  }
  if (actions.spawn) {
    Status s = node.Spawn(launch_, now);
    if (s.ok()) {
      by_pid_[*node.process().pid()] = &node;
    } else {
      LogError(s.message());
      Queue(stem::NodeError{node.name(), s.message()});
    }
  }
  if (actions.forget) nodes_.erase(node.name());  // `node` is gone from here on
}

void Stem::RunTimers(TimePoint now) {
  for (auto& [name, node] : nodes_) {
    auto deadline = node->process().deadline();
    if (deadline && *deadline <= now) Apply(*node, node->process().Tick(now), now);  // never forgets
  }
  if (connected_ && now >= next_heartbeat_) {
    Queue(stem::Heartbeat{});
    next_heartbeat_ = now + kHeartbeatInterval;
  }
  if (connected_ && now - last_heard_ > kSupervisorTimeout) {
    SupervisorLost("no message from zsupd for " +
                       std::to_string(static_cast<int>(Seconds(kSupervisorTimeout).count())) + " s",
                   now);
  }
  if (grace_deadline_ && now >= *grace_deadline_) {
    LogWarning("no zsupd connected within the grace period: stopping every node");
    BeginShutdown(now);
  }
  if (shutting_down_ && nodes_.empty()) {
    if (!exit_deadline_) {
      Queue(stem::Bye{});
      exit_deadline_ = now + kByeFlushTimeout;
    }
    if (outbound_.empty() || !connected_ || now >= *exit_deadline_) done_ = true;
  }
}

std::optional<TimePoint> Stem::NextDeadline() const {
  std::optional<TimePoint> next;
  auto consider = [&next](std::optional<TimePoint> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  for (const auto& [name, node] : nodes_) consider(node->process().deadline());
  if (connected_) {
    consider(next_heartbeat_);
    consider(last_heard_ + kSupervisorTimeout + std::chrono::milliseconds(1));
  }
  consider(grace_deadline_);
  consider(exit_deadline_);
  return next;
}

void Stem::Queue(std::string frame) {
  outbound_bytes_ += frame.size();
  outbound_.push_back(std::move(frame));
}

void Stem::QueueFrames(std::vector<std::string>& frames) {
  for (std::string& f : frames) Queue(std::move(f));
  frames.clear();
}

void Stem::FlushOutbound() {
  while (!outbound_.empty()) {
    auto sent = link_->TrySend(outbound_.front());
    if (!sent.ok()) {
      LogError(sent.error());
      return;
    }
    if (!*sent) return;  // would block: wait for POLLOUT
    outbound_bytes_ -= outbound_.front().size();
    outbound_.pop_front();
  }
}

}  // namespace

int RunStem(const StemOptions& options) {
  try {
    Stem stem(options);
    return stem.Run();
  } catch (const std::exception& e) {
    LogError(std::string("fatal: ") + e.what());
    return 1;
  }
}

}  // namespace zsup
