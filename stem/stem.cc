#include "stem/stem.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
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
#include "broker/unsent_frames.h"
#include "stem/process_tree.h"
#include "stem/stem_loop.h"

namespace zsup {

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
  launch_.state_dir = options_.state_dir;
  ::mkdir(launch_.node_json_dir.c_str(), 0700);
  // Abstract, so a node running as another user can reach it whatever the
  // state directory's mode; only datagrams from a node's own processes
  // count (the kernel's credentials say who sent them).
  struct stat dir {};
  ::stat(options_.state_dir.c_str(), &dir);
  auto notify = NotifySocket::Open("@zsup-stem/" + std::to_string(dir.st_dev) + ":" +
                                   std::to_string(dir.st_ino) + "/" + std::to_string(::getpid()));
  if (notify.ok()) {
    notify_ = std::move(*notify);
    launch_.notify_socket = notify_->address();
  } else {
    LogWarning(notify.error() + ": nodes with ready \"notify\" will not become ready");
  }
  auto link = Link::Create(context_, options_.endpoint, Link::Role::kBind);
  if (!link.ok()) return link.status();
  link_ = std::move(*link);
  const TimePoint now = clock_.Now();
  session_.emplace(SupervisorSession::Options{kLinkHeartbeat, kLinkSilence, kFirstHelloTimeout,
                                             kByeFlushTimeout},
                   now, FromSeconds(options_.settings.grace));
  return Status::Ok();
}

int Stem::Run() {
  Status s = Init();
  if (!s.ok()) {
    LogError(s.message());
    return 1;
  }
  LogInfo("listening on " + options_.endpoint);
  while (!session_->done()) PollOnce();
  LogInfo("exiting");
  FlushOutbound();
  // zsupd acknowledged the Bye: nothing it still needs is queued, and a short
  // linger covers a zsupd that predates ByeAck. Otherwise what it never read
  // waits in a file for the next zsupd.
  if (!session_->bye_acked()) SaveUnsent();
  SetLogSink(nullptr, nullptr);
  link_->socket().set(zmq::sockopt::linger, 1000);
  return 0;
}

void Stem::PollOnce() {
  TimePoint now = clock_.Now();
  RunTimers(now);
  FlushOutbound();
  if (session_->done()) return;

  enum class Kind { kLink, kSignals, kSupervisor, kNotify, kStatus, kStdout, kStderr, kProbe };
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
  awaiting_exec_ = 0;
  for (const auto& [name, node] : nodes_) awaiting_exec_ += node->status_fd() >= 0;
  // Too many spawns in flight: their exec reports (polled below) come
  // first, then the link's next creates.
  const bool read_link = awaiting_exec_ < kMaxSpawnsAwaitingExec;
  const short link_events =
      static_cast<short>((read_link ? ZMQ_POLLIN : 0) | (outbound_.empty() ? 0 : ZMQ_POLLOUT));
  add(link_->socket().handle(), 0, link_events, Kind::kLink, nullptr);
  add(nullptr, signals_.get(), ZMQ_POLLIN, Kind::kSignals, nullptr);
  if (supervisor_pidfd_) add(nullptr, supervisor_pidfd_.get(), ZMQ_POLLIN, Kind::kSupervisor, nullptr);
  if (notify_) add(nullptr, notify_->fd(), ZMQ_POLLIN, Kind::kNotify, nullptr);
  const bool read_output = outbound_.bytes() < kMaxQueuedBytes;
  for (auto& [name, node] : nodes_) {
    if (node->status_fd() >= 0) add(nullptr, node->status_fd(), ZMQ_POLLIN, Kind::kStatus, node.get());
    if (const ReadyProbe* probe = node->probe(); probe != nullptr && probe->fd() >= 0) {
      add(nullptr, probe->fd(), ZMQ_POLLOUT, Kind::kProbe, node.get());
    }
    for (auto [stream, kind] : {std::pair{Stream::kStdout, Kind::kStdout},
                                std::pair{Stream::kStderr, Kind::kStderr}}) {
      if (!read_output && node->publishes(stream)) continue;  // zsupd is behind: wait
      if (node->stream_fd(stream) >= 0 && !node->stream_paused(stream, now)) {
        add(nullptr, node->stream_fd(stream), ZMQ_POLLIN, kind, node.get());
      }
    }
  }

  const long timeout = PollTimeout(NextDeadline(), clock_);
  try {
    zmq::poll(items, std::chrono::milliseconds(timeout));
  } catch (const zmq::error_t& e) {
    if (e.num() != EINTR) LogError(std::string("poll: ") + e.what());
    return;
  }
  now = clock_.Now();

  // Node descriptors first: their handlers never remove a node, so the
  // pointers in `targets` stay valid until the signal and link handlers run.
  std::vector<std::string> frames;
  std::vector<std::pair<std::string, std::string>> file_errors;  // node, message
  bool link_ready = false, signals_ready = false, supervisor_gone = false, notified = false;
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].revents == 0) continue;
    switch (targets[i].kind) {
      case Kind::kLink: link_ready = true; break;
      case Kind::kSignals: signals_ready = true; break;
      case Kind::kSupervisor: supervisor_gone = true; break;
      case Kind::kNotify: notified = true; break;
      case Kind::kProbe: {
        SupervisedNode& node = *targets[i].node;
        node.probe()->OnWritable(now);
        if (node.probe()->ready()) Apply(node, node.process().BecameReady(now), now);
        break;
      }
      case Kind::kStatus: HandleExecStatus(*targets[i].node, now); break;
      case Kind::kStdout:
      case Kind::kStderr: {
        const Stream stream = targets[i].kind == Kind::kStdout ? Stream::kStdout : Stream::kStderr;
        if (auto error = targets[i].node->ReadStream(stream, kMaxReadPerWakeup, now, &frames)) {
          file_errors.emplace_back(targets[i].node->name(), std::move(*error));
        }
        break;
      }
    }
  }
  QueueFrames(frames);
  for (auto& [name, message] : file_errors) {
    LogError(message);
    Queue(stem::NodeError{name, std::move(message)});
  }
  if (notified) HandleNotify(now);
  if (signals_ready) HandleSignals(now);
  if (supervisor_gone) SupervisorLost("zsupd (pid " + std::to_string(supervisor_pid_) + ") exited", now);
  if (link_ready && read_link) HandleLink(now);
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

void Stem::Reap(TimePoint now) {
  bool node_exited = false;
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) break;  // 0: none left to reap now; -1: no children
    auto it = by_pid_.find(pid);
    if (it == by_pid_.end()) continue;  // an orphan we adopted as subreaper
    SupervisedNode* node = it->second;
    by_pid_.erase(it);
    HandleExit(*node, pid, status, now);
    node_exited = true;
  }
  // Once per batch of exits, not per exit: a thousand nodes stopping at once
  // would read the stem's list of children a thousand times.
  if (node_exited) KillLeftovers();
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

SupervisedNode* Stem::NodeOfProcess(pid_t pid) {
  // A node's main process, or one below it: nodes are subreapers, so what
  // they start stays below them. A bounded walk up the parents.
  for (int depth = 0; pid > 1 && depth < 64; ++depth) {
    if (auto it = by_pid_.find(pid); it != by_pid_.end()) return it->second;
    if (pid == ::getpid()) return nullptr;
    pid = ParentOf(pid);
  }
  return nullptr;
}

void Stem::HandleNotify(TimePoint now) {
  for (NotifyMessage& m : notify_->ReadAll()) {
    SupervisedNode* node = NodeOfProcess(m.pid);
    if (node == nullptr || node->ready() != "notify") continue;  // not a node's, or not asked
    if (m.status) node->set_status_text(std::move(*m.status));
    if (m.ready) {
      Apply(*node, node->process().BecameReady(now), now);
    } else {
      ReportUpdate(*node, now);
    }
  }
}

void Stem::HandleExit(SupervisedNode& node, pid_t pid, int wait_status, TimePoint now) {
  // In order: how the exec went, the last output, then the exit itself.
  if (node.status_fd() >= 0) HandleExecStatus(node, now);
  std::vector<std::string> frames;
  if (auto error = node.DrainOutput(now, &frames)) {
    LogError(*error);
    Queue(stem::NodeError{node.name(), *error});
  }
  QueueFrames(frames);
  // Whatever the node left goes with it, so that a replacement never runs
  // beside remains of the process it replaces: its process group here, and
  // what left the group (re-parented to the stem when the node died) once
  // Reap() is through.
  ::kill(-pid, SIGKILL);

  ExitInfo exit;
  exit.at = clock_.Wall();
  if (WIFEXITED(wait_status)) exit.code = WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) exit.signal = WTERMSIG(wait_status);
  NodeActions actions = node.process().Exited(exit, now);
  stem::NodeExited report{node.name(),     pid,     exit.code, exit.signal,
                          node.process().last_exit_commanded(), exit.at, node.process().state(),
                          node.process().restarts(), node.process().failed_reason()};
  if (report.reason) LogWarning("node '" + node.name() + "' failed: " + *report.reason);
  if (peer_version_ < 2 && report.next == NodeState::kFailed) {
    report.next = NodeState::kExited;  // all a zsupd before v2 knows: gone
    report.reason.reset();
  }
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
    // Descendants that left its process group (setsid) first, while they are
    // still below it; then the group.
    SignalDescendantsOutsideGroup(pid, actions.signal);
    if (::kill(-pid, actions.signal) != 0) ::kill(pid, actions.signal);
  }
  if (actions.ready_timed_out) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%g s",
                  Seconds(node.process().options().ready_timeout).count());
    std::string why = "node '" + node.name() + "' was not ready within " + seconds +
                      " (ready: " + node.ready().value_or("exec") + ")";
    if (const ReadyProbe* probe = node.probe(); probe != nullptr && !probe->last_error().ok()) {
      why += ": " + probe->last_error().message();
    }
    LogWarning(why + "; stopping it");
    Queue(stem::NodeError{node.name(), why});
  }
  if (actions.report_started) {
    Queue(stem::NodeStarted{node.name(), *node.process().pid(), node.process().restarts(),
                            node.started_wall()});
  }
  if (actions.spawn) {
    Status s = node.Spawn(launch_, now);
    if (s.ok()) {
      by_pid_[*node.process().pid()] = &node;
      ++awaiting_exec_;
    } else {
      LogError(s.message());
      Queue(stem::NodeError{node.name(), s.message()});
    }
  }
  if (actions.forget) {
    // Forgotten without an exit report (NodeExited with next `exited` says
    // the same, and a second word could reach a re-created node): say so.
    if (peer_version_ >= 2 && !actions.report_exit) {
      stem::NodeUpdate gone;
      gone.name = node.name();
      gone.gone = true;
      Queue(gone);
    }
    nodes_.erase(node.name());  // `node` is gone from here on
    return;
  }
  ReportUpdate(node, now);
}

void Stem::KillLeftovers() {
  // Every node is a subreaper, so a child of the stem that is not a node's
  // main process was left behind by a node that has died.
  for (pid_t child : ChildrenOf(::getpid())) {
    if (by_pid_.contains(child)) continue;
    for (pid_t d : DescendantsOf(child)) ::kill(d, SIGKILL);
    ::kill(child, SIGKILL);
  }
}

void Stem::ReportUpdate(SupervisedNode& node, TimePoint now) {
  node.SyncProbe();
  std::optional<stem::NodeUpdate> update = node.TakeUpdate(now);
  if (update && peer_version_ >= 2) Queue(*update);
}

void Stem::ForwardLog(std::string_view line, void* stem) {
  auto* self = static_cast<Stem*>(stem);
  std::string text(line);
  if (!text.empty() && text.back() == '\n') text.pop_back();
  self->Queue(stem::StemLog{std::move(text)});
}

void Stem::SaveUnsent() {
  std::vector<std::string> frames;
  outbound_.ForEachUnsent([&](const std::string& frame) {
    if (!stem::DecodeOutputView(frame)) frames.push_back(frame);
  });
  Status s = stem::SaveUnsentFrames(options_.state_dir, frames);
  if (!s.ok()) {
    SetLogSink(nullptr, nullptr);
    LogError(s.message());
  }
}

void Stem::RunTimers(TimePoint now) {
  for (auto& [name, node] : nodes_) {
    node->ResumeStreams(now);
    auto deadline = node->process().deadline();
    if (deadline && *deadline <= now) Apply(*node, node->process().Tick(now), now);  // never forgets
    if (ReadyProbe* probe = node->probe()) {
      if (auto due = probe->deadline(); due && *due <= now) probe->Tick(now);
      if (probe->ready()) Apply(*node, node->process().BecameReady(now), now);
    }
  }
  const std::string silent = "no message from zsupd for " +
                             std::to_string(static_cast<int>(Seconds(kLinkSilence).count())) +
                             " s";
  const Duration grace = FromSeconds(options_.settings.grace);
  const SupervisorSession::Actions actions = session_->Tick(now, grace, !nodes_.empty());
  Do(actions, silent, now);
  // Stopping the nodes may have left none (those in backoff are dropped at
  // once): the Bye is due now, not at a wakeup that may never come.
  if (actions.stop_nodes) Do(session_->Tick(now, grace, !nodes_.empty()), silent, now);
}

std::optional<TimePoint> Stem::NextDeadline() const {
  std::optional<TimePoint> next;
  auto consider = [&next](std::optional<TimePoint> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  for (const auto& [name, node] : nodes_) {
    consider(node->process().deadline());
    consider(node->resume_at());
    if (const ReadyProbe* probe = node->probe()) consider(probe->deadline());
  }
  consider(session_->deadline());
  return next;
}

void Stem::Queue(std::string frame) { outbound_.Push(std::move(frame)); }

void Stem::QueueFrames(std::vector<std::string>& frames) {
  // Output frames are numbered, and kept after sending until zsupd says it
  // has them (OutputAck), so that the frames in flight when a zsupd dies go
  // to the next one.
  for (std::string& f : frames) {
    const int64_t id = ++last_output_id_;
    stem::StampOutputId(f, id);
    outbound_.Push(std::move(f), id);
  }
  frames.clear();
}

void Stem::FlushOutbound() {
  if (Status s = outbound_.Flush(*link_); !s.ok()) LogError(s.message());
}

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
