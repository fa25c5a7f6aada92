#include "supervisor/daemon.h"

#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "broker/credentials.h"
#include "broker/log.h"
#include "broker/paths.h"
#include "broker/signals.h"
#include "broker/unsent_frames.h"
#include "broker/validation.h"
#include "stem/launch.h"
#include "supervisor/descriptor_budget.h"
#include "supervisor/notify.h"
#include "supervisor/state_dir.h"

namespace zsup {
namespace {

using std::chrono::seconds;

constexpr std::chrono::milliseconds kPublishLinger{500};
constexpr Duration kStoreCheckInterval = seconds(5);

// zsup-stem next to this program (installed), or in the build tree.
std::string DefaultStemPath() {
  char exe[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    std::string dir(exe, static_cast<size_t>(n));
    dir.erase(dir.rfind('/'));
    for (const std::string& candidate : {dir + "/zsup-stem", dir + "/../stem/zsup-stem"}) {
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  const char* path = std::getenv("PATH");
  return SearchPath("zsup-stem", path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
}

void LogToWriter(std::string_view line, void* writer) {
  auto* w = static_cast<EchoWriter*>(writer);
  w->Append(line);
  w->OnWritable();
}

// What a node's own command and env may take: the config limit, or less
// when this process's environment and stack limit leave less room in
// ARG_MAX (the stem passes zsupd's environment on to every node, and
// ZEEK_SUPERVISED_NODE takes up to 100 KB more).
size_t ExecBudget() {
  long arg_max = ::sysconf(_SC_ARG_MAX);
  size_t own = 0;
  for (char** e = environ; *e != nullptr; ++e) own += std::strlen(*e) + 1 + sizeof(char*);
  const size_t reserved = own + (128 << 10);
  if (arg_max <= 0 || static_cast<size_t>(arg_max) <= reserved) return 0;
  return std::min(kMaxConfigExecBytes, static_cast<size_t>(arg_max) - reserved);
}

bool Readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

}  // namespace

Daemon::Daemon(SupervisorOptions options) : options_(std::move(options)) {}

Daemon::~Daemon() { SetLogSink(nullptr, nullptr); }

void Daemon::AddHook(Stream stream, OutputHook hook) {
  hooks_[stream == Stream::kStdout ? 0 : 1].push_back(std::move(hook));
}

void Daemon::RequestStop() {
  uint64_t one = 1;
  if (wake_) {
    ssize_t ignored = ::write(wake_.get(), &one, sizeof one);
    (void)ignored;
  }
}

Status Daemon::Init() {
  const std::string& dir = options_.state_dir;
  if (dir.empty()) return Status::Error("no state directory given");
  if (options_.control_endpoint.empty() || options_.events_endpoint.empty() ||
      (options_.batches && options_.batches_endpoint.empty())) {
    if (dir.size() > kMaxStateDirForIpc) {
      return Status::Error("state directory path too long for ipc sockets (" +
                           std::to_string(dir.size()) + " bytes, at most " +
                           std::to_string(kMaxStateDirForIpc) + "): " + dir);
    }
  }
  if (options_.control_endpoint.empty()) options_.control_endpoint = ControlEndpoint(dir);
  if (options_.events_endpoint.empty()) options_.events_endpoint = EventsEndpoint(dir);
  if (options_.batches && options_.batches_endpoint.empty()) {
    options_.batches_endpoint = BatchesEndpoint(dir);
  }
  if (options_.stem_path.empty()) options_.stem_path = DefaultStemPath();

  auto signals = BlockSignals({SIGCHLD, SIGTERM, SIGINT, SIGHUP});
  if (!signals.ok()) return signals.status();
  signals_ = std::move(*signals);
  wake_.Reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wake_) return Status::Errno("eventfd", errno);
  RaiseFileLimit();
  exec_budget_ = ExecBudget();

  std::vector<std::string> warnings;
  if (!options_.socket_group.empty()) {
    auto gid = GroupId(options_.socket_group);
    if (!gid.ok()) return Status::Error("--socket-group: " + gid.error());
    socket_gid_ = *gid;
  }
  auto lock = LockStateDir(dir, &warnings, socket_gid_);
  if (!lock.ok()) return lock.status();
  for (const std::string& w : warnings) LogWarning(w);
  lock_ = std::move(*lock);
  Status s = OpenDesiredState();
  if (!s.ok()) return s;

  context_ = std::make_unique<zmq::context_t>(1);
  s = OpenListeners();
  if (!s.ok()) return s;
  // Stored under a higher limit: the nodes start, and some may find no
  // descriptor; say why before they do.
  if (Status fit = CheckDescriptors(table_.size(), 0, 0); !fit.ok()) {
    LogWarning("the stored nodes do not fit: " + fit.message());
  }
  if (!options_.metrics_address.empty()) {
    auto server = MetricsServer::Start(options_.metrics_address, [this] {
      const uint64_t lossy = publisher_->lossy_sends() + (batches_ ? batches_->lossy_sends() : 0);
      const uint64_t cut = publisher_->cut_off_count() + (batches_ ? batches_->cut_off_count() : 0);
      return metrics_.Render(table_, {lossy, cut});
    });
    if (!server.ok()) return server.status();
    metrics_server_ = std::move(*server);
  }

  SetLogSink(LogToWriter, &echo_err_);
  LogInfo(std::string("zsupd ") + ZSUP_VERSION + " (pid " + std::to_string(::getpid()) +
          "): state dir " + dir + ", control " + options_.control_endpoint + ", events " +
          options_.events_endpoint +
          (batches_ ? ", batches " + options_.batches_endpoint : std::string(", no batches")) +
          ", " + std::to_string(table_.size()) + " node(s)");

  session_ = StemSession(StemSession::Options{FromSeconds(options_.stop_timeout)});
  stem::Settings settings{options_.zeek_path, options_.stop_timeout, options_.revival_cap,
                          options_.grace};
  stem_ = std::make_unique<StemClient>(*context_,
                                       StemClientOptions{dir, options_.stem_path, settings});
  TakeStemRemains(SteadyNow());  // a stem that exited while no zsupd ran
  s = stem_->Connect(SteadyNow());
  if (s.ok() && !stem_->adopted()) metrics_.StemStarted();
  if (s.ok() && metrics_server_) {
    LogInfo("metrics: http://" + options_.metrics_address + "/metrics");
  }
  return s;
}

Status Daemon::Run() {
  Status s = Init();
  if (!s.ok()) {
    SetLogSink(nullptr, nullptr);
    return s;
  }
  while (!session_.done()) PollOnce();
  Finish();
  return Status::Ok();
}

void Daemon::PollOnce() {
  TimePoint now = SteadyNow();
  Tick(now);
  if (session_.done()) return;

  std::vector<zmq::pollitem_t> items;
  auto add = [&items](void* socket, int fd, short events) {
    items.push_back({socket, fd, events, 0});
    return items.size() - 1;
  };
  const size_t signals = add(nullptr, signals_.get(), ZMQ_POLLIN);
  const size_t wake = add(nullptr, wake_.get(), ZMQ_POLLIN);
  const size_t control = add(control_.handle(), 0, ZMQ_POLLIN);
  size_t monitors[3] = {add(control_connections_->monitor().handle(), 0, ZMQ_POLLIN),
                        add(events_connections_->monitor().handle(), 0, ZMQ_POLLIN), SIZE_MAX};
  if (batches_connections_) {
    monitors[2] = add(batches_connections_->monitor().handle(), 0, ZMQ_POLLIN);
  }
  // A stalled publisher retries (in Tick) as soon as a subscriber made room.
  for (Publisher* p : {publisher_.get(), batches_.get()}) {
    if (p != nullptr && p->stalled() && p->wake_fd() >= 0) add(nullptr, p->wake_fd(), ZMQ_POLLIN);
  }
  size_t stem_socket = SIZE_MAX, stem_pid = SIZE_MAX;
  // Output waits in the stem (and then in the nodes) while it cannot go out.
  const bool backpressure = OutputBlocked();
  if (zmq::socket_t* s = stem_->socket()) {
    short events = static_cast<short>((backpressure ? 0 : ZMQ_POLLIN) |
                                      (stem_->has_outbound() ? ZMQ_POLLOUT : 0));
    if (events != 0) stem_socket = add(s->handle(), 0, events);
  }
  if (stem_->pidfd() >= 0) stem_pid = add(nullptr, stem_->pidfd(), ZMQ_POLLIN);
  const size_t out = echo_out_.wants_write() ? add(nullptr, 1, ZMQ_POLLOUT) : SIZE_MAX;
  const size_t err = echo_err_.wants_write() ? add(nullptr, 2, ZMQ_POLLOUT) : SIZE_MAX;
  for (const UniqueFd& fd : dying_) add(nullptr, fd.get(), ZMQ_POLLIN);
  const size_t metrics = metrics_server_ ? add(nullptr, metrics_server_->fd(), ZMQ_POLLIN) : SIZE_MAX;
  size_t zap = SIZE_MAX, zap_watch = SIZE_MAX;
  if (zap_) {
    zap = add(zap_->socket().handle(), 0, ZMQ_POLLIN);
    zap_watch = add(nullptr, zap_->watch_fd(), ZMQ_POLLIN);
  }

  long timeout = -1;
  std::optional<TimePoint> deadline = NextDeadline();
  const std::optional<TimePoint> http_due = metrics_server_ ? metrics_server_->Deadline(now) : std::nullopt;
  if (http_due && (!deadline || *http_due < *deadline)) deadline = http_due;
  if (deadline) timeout = MillisUntil(*deadline, now);
  try {
    zmq::poll(items, std::chrono::milliseconds(timeout));
  } catch (const zmq::error_t& e) {
    if (e.num() != EINTR) LogError(std::string("poll: ") + e.what());
    return;
  }
  now = SteadyNow();
  auto ready = [&items](size_t i) { return i != SIZE_MAX && items[i].revents != 0; };
  if (ready(signals)) HandleSignals(now);
  // Key changes before handshakes: a key just removed is refused at once.
  if (ready(zap_watch)) zap_->Reload();
  if (ready(zap)) zap_->Serve();
  if (ready(metrics) || (http_due && *http_due <= now)) metrics_server_->Run();
  if (ready(wake)) {
    uint64_t count;
    ssize_t ignored = ::read(wake_.get(), &count, sizeof count);
    (void)ignored;
    BeginShutdown(now, "stop requested");
  }
  if (ready(stem_pid)) {
    if (auto how = stem_->CheckExited()) OnStemGone(*how, now);
  }
  if (ready(stem_socket)) ServeStem(now);
  if (ready(monitors[0]) || ready(monitors[1]) || ready(monitors[2])) ServeMonitors(now);
  if (ready(control)) ServeControl(now);
  if (ready(out)) echo_out_.OnWritable();
  if (ready(err)) echo_err_.OnWritable();
}

void Daemon::HandleSignals(TimePoint now) {
  for (int sig : ReadSignals(signals_.get())) {
    if (sig == SIGCHLD) {
      if (auto how = stem_->CheckExited()) OnStemGone(*how, now);
    } else if (sig == SIGTERM || sig == SIGINT) {
      BeginShutdown(now, std::string("received SIG") + sigabbrev_np(sig));
    } else {
      LogInfo(std::string("ignoring SIG") + sigabbrev_np(sig));
    }
  }
}

void Daemon::BeginShutdown(TimePoint now, const std::string& why) {
  if (!session_.serving()) return;
  NotifyStopping();
  const bool stem_running = stem_->connected();
  LogInfo(why + (stem_running ? ": stopping every node, then zsup-stem"
                              : ": no stem running, exiting"));
  Do(session_.Shutdown(now, stem_running), now);
}

void Daemon::Do(const StemSession::Actions& a, TimePoint now) {
  if (a.send_shutdown) stem_->Send(stem::Shutdown{});
  if (a.connect) {
    Status s = stem_->Connect(now);
    if (s.ok()) {
      if (!stem_->adopted()) metrics_.StemStarted();
      session_.Connected();
    } else {
      LogError(s.message() + "; retrying in 1 s");
      session_.ConnectFailed(now);
    }
  }
  if (a.kill_stem) {
    LogError("zsup-stem (pid " + std::to_string(stem_->pid()) +
             ") did not stop in time: killing it (its nodes die with it)");
    if (stem_->pidfd() >= 0) ::syscall(SYS_pidfd_send_signal, stem_->pidfd(), SIGKILL, nullptr, 0);
  }
  if (a.why == StemSession::Why::kDrainTimedOut) {
    LogWarning("zsup-stem exited without its final report; some node exits may be missing");
  }
}

void Daemon::Tick(TimePoint now) {
  ReleaseGated(now);
  stem_->Tick(now);
  stem_->Flush();
  publisher_->Flush(now);
  if (batches_) batches_->Flush(now);
  TickSession(now);
  if (session_.done()) return;
  if (auto recount = admission_->NextRecount(); recount && now >= *recount) RecountDescriptors(now);
  if (now >= next_store_check_) {
    // Also without commands: a state.db deleted while nothing is written is
    // as lost at the next start.
    if (Status s = CheckedStore(); !s.ok()) LogError(s.message());
    next_store_check_ = now + kStoreCheckInterval;
  }
}

std::optional<TimePoint> Daemon::NextDeadline() const {
  std::optional<TimePoint> next = stem_->NextDeadline();
  auto consider = [&next](TimePoint t) {
    if (!next || t < *next) next = t;
  };
  if (auto retry = publisher_->NextDeadline()) consider(*retry);
  if (batches_) {
    if (auto retry = batches_->NextDeadline()) consider(*retry);
  }
  if (auto d = session_.deadline(!dying_.empty(), stem_->earliest_restart())) consider(*d);
  consider(next_store_check_);
  if (auto recount = admission_->NextRecount()) consider(*recount);
  if (gate_deadline_) consider(*gate_deadline_);
  return next;
}

void Daemon::OnStemGone(const std::string& how, TimePoint now) {
  if (!session_.serving()) {  // stopping: read its last messages, then done
    LogInfo("zsup-stem " + how);
    Do(session_.StemExited(now), now);
    return;
  }
  LogWarning("zsup-stem (pid " + std::to_string(stem_->pid()) + ") " + how +
             ": starting a new one, which starts every node again");
  TakeStemRemains(now);
  // Its nodes got SIGKILL from the kernel (parent-death signal); make sure,
  // and wait for each to be gone so no node ever runs twice.
  std::set<std::string> killed;
  for (auto& [name, fd] : node_pidfds_) {
    if (::syscall(SYS_pidfd_send_signal, fd.get(), SIGKILL, nullptr, 0) == 0) killed.insert(name);
    dying_.push_back(std::move(fd));
  }
  node_pidfds_.clear();
  // Every process whose end the stem never reported still gets its
  // node_exit: SIGKILL when zsupd just sent it, else how it ended is unknown.
  for (const auto& [name, view] : table_.nodes()) {
    if (!view.pid) continue;
    stem::NodeExited lost;
    lost.name = name;
    lost.pid = *view.pid;
    if (killed.contains(name)) lost.signal = SIGKILL;
    lost.at = WallNow();
    lost.next = NodeState::kStarting;  // the next stem starts it again
    OnExited(lost);
  }
  table_.ForgetProcesses();
  slots_.StemLost();
  Do(session_.StemExited(now), now);  // lost: a new stem once those are gone
  TickSession(now);
}

void Daemon::TickSession(TimePoint now) {
  std::erase_if(dying_, [](const UniqueFd& fd) { return Readable(fd.get()); });
  Do(session_.Tick(now, !dying_.empty(), stem_->earliest_restart()), now);
}

void Daemon::TakeStemRemains(TimePoint now) {
  // First what is still on the link, then what the stem left in a file.
  stem_->Receive(now, SIZE_MAX,
                 {[this](const stem::OutputView& output) { OnOutput(output); },
                  [this](stem::Message& message) { OnStemMessage(message); },
                  [] { return false; }});
  auto frames = stem::TakeUnsentFrames(options_.state_dir);
  if (!frames.ok()) {
    LogError(frames.error());
    return;
  }
  for (const std::string& frame : *frames) {
    auto message = stem::Decode(frame);
    if (!message.ok()) continue;
    if (std::holds_alternative<stem::NodeExited>(*message) ||
        std::holds_alternative<stem::StemLog>(*message) ||
        std::holds_alternative<stem::NodeError>(*message)) {
      OnStemMessage(*message);
    }
  }
}

void Daemon::Finish() {
  LogInfo("stopped");
  SetLogSink(nullptr, nullptr);
  echo_out_.FlushBlocking();
  echo_err_.FlushBlocking();
  control_.close();
  publisher_->Close(kPublishLinger);  // the last node exits reach subscribers
  publisher_.reset();
  if (batches_) batches_->Close(kPublishLinger);
  batches_.reset();
  stem_.reset();
  store_.reset();
}

}  // namespace zsup
