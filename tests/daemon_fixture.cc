#include "tests/daemon_fixture.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <variant>

namespace zsup::testing {
namespace {

bool HasFlag(const std::vector<std::string>& args, const std::string& flag) {
  for (const std::string& a : args) {
    if (a == flag || a.starts_with(flag + "=")) return true;
  }
  return false;
}

std::vector<char*> CStrings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (std::string& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// waitpid with a deadline; returns the raw status or nullopt on timeout.
std::optional<int> WaitPid(pid_t pid, milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0) return std::nullopt;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    ::poll(nullptr, 0, 5);
  }
}

// Waits for `pid` until `deadline` (at least 100 ms more), SIGKILLs it if it
// is still running; returns its exit code, 128 + its signal, or -1 when it
// had to be killed.
int ReapBy(pid_t pid, std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
  auto status = WaitPid(pid, std::max(left, milliseconds(100)));
  if (!status) {
    ::kill(pid, SIGKILL);
    WaitPid(pid, seconds(5));
    return -1;
  }
  return WIFEXITED(*status) ? WEXITSTATUS(*status) : 128 + WTERMSIG(*status);
}

}  // namespace

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string ZsupdPath() { return ZSUPD_PATH; }
std::string StemPath() { return STEM_PATH; }
std::string TestNodePath() { return TEST_NODE_PATH; }
std::string ZsupctlPath() { return ZSUPCTL_PATH; }
std::string HookedZsupdPath() { return HOOKED_ZSUPD_PATH; }

bool WaitUntil(const std::function<bool()>& condition, milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    ::poll(nullptr, 0, 10);
  }
}

NodeConfig TestNode(const std::string& name, std::vector<std::string> args) {
  NodeConfig c;
  c.name = name;
  c.command = {TestNodePath()};
  c.command.insert(c.command.end(), args.begin(), args.end());
  return c;
}

bool ProcessAlive(pid_t pid) {
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  if (stat.empty()) return false;
  size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z' &&
         stat[paren + 2] != 'X';
}

int CountFds(pid_t pid) {
  DIR* d = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (d == nullptr) return -1;
  int n = 0;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(d);
  return n;
}

int CountZombieChildren(pid_t pid) {
  int zombies = 0;
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = ::opendir(tasks.c_str());
  if (d == nullptr) return -1;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::istringstream children(ReadFile(tasks + "/" + e->d_name + "/children"));
    pid_t child;
    while (children >> child) {
      if (!ProcessAlive(child) && !ReadFile("/proc/" + std::to_string(child) + "/stat").empty()) {
        ++zombies;
      }
    }
  }
  ::closedir(d);
  return zombies;
}

std::vector<std::string> MergedEnvironment(const std::vector<std::string>& extra_env) {
  auto name_of = [](const std::string& entry) { return entry.substr(0, entry.find('=')); };
  std::set<std::string> replaced;
  for (const std::string& e : extra_env) replaced.insert(name_of(e));
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (!replaced.contains(name_of(*e))) env.emplace_back(*e);
  }
  for (const std::string& e : extra_env) {
    if (e.find('=') != std::string::npos) env.push_back(e);  // "NAME" alone: unset
  }
  return env;
}

CommandResult RunCommand(const std::vector<std::string>& argv_in, milliseconds timeout,
                         const std::vector<std::string>& extra_env) {
  CommandResult result;
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) return result;
  std::vector<std::string> argv = argv_in;
  std::vector<char*> cargv = CStrings(argv);
  std::vector<std::string> env = MergedEnvironment(extra_env);
  std::vector<char*> cenv = CStrings(env);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::execve(cargv[0], cargv.data(), cenv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(err[1]);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  while (open_fds > 0 && std::chrono::steady_clock::now() < deadline) {
    if (::poll(fds, 2, 50) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (pollfd& p : fds) {
    if (p.fd >= 0) ::close(p.fd);
  }
  result.exit_code = ReapBy(pid, deadline);
  return result;
}

std::optional<Event> Subscriber::Next(milliseconds timeout) {
  auto event = sub_->Next(timeout);
  if (!event.ok()) {
    ADD_FAILURE() << event.error();
    return std::nullopt;
  }
  if (!event->has_value()) return std::nullopt;
  const Event& e = **event;
  last_topic_ = EventTopic(e.kind, std::visit([](const auto& p) { return p.node; }, e.payload));
  return std::move(**event);
}

std::optional<Event> Subscriber::WaitFor(const std::function<bool(const Event&)>& match,
                                         milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto e = Next(left);
    if (!e) return std::nullopt;
    if (match(*e)) return e;
  }
}

void DaemonTest::SetUp() {
  char tmpl[] = "/tmp/zt-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  dir_ = tmpl;
  LogTo("zsupd.log");
}

void DaemonTest::LogTo(const std::string& file) {
  if (log_fd_ >= 0) ::close(log_fd_);
  log_file_ = file;
  log_fd_ = ::open((dir_ + "/" + file).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  ASSERT_GE(log_fd_, 0);
}

void DaemonTest::TearDown() {
  if (daemon_pid_ > 0 && StopDaemon() < 0) KillDaemon();
  if (pid_t stem = StemPid(); stem > 0 && ProcessAlive(stem)) ::kill(stem, SIGKILL);
  if (HasFailure()) {
    std::cerr << "---- zsupd log (" << dir_ << "/" << log_file_ << ") ----\n" << Log() << "----\n";
  }
  ::close(log_fd_);
  RunCommand({"/bin/rm", "-rf", dir_});
}

void DaemonTest::StartDaemon(const std::vector<std::string>& extra_args) {
  int ready[2];
  ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0);
  const std::string binary = daemon_binary_.empty() ? ZsupdPath() : daemon_binary_;
  std::vector<std::string> args = {binary, "--state-dir", dir_, "--stem",
                                   stem_path_.empty() ? StemPath() : stem_path_,
                                   "--ready-fd", std::to_string(ready[1])};
  if (!HasFlag(extra_args, "--stop-timeout")) args.insert(args.end(), {"--stop-timeout", "5"});
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  std::vector<char*> argv = CStrings(args);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    ::dup2(log_fd_, 1);
    ::dup2(log_fd_, 2);
    ::fcntl(ready[1], F_SETFD, 0);  // the one descriptor zsupd inherits on purpose
    if (daemon_umask_ >= 0) ::umask(static_cast<mode_t>(daemon_umask_));
    if (daemon_nofile_ > 0) {
      const rlimit limit{static_cast<rlim_t>(daemon_nofile_), static_cast<rlim_t>(daemon_nofile_)};
      ::setrlimit(RLIMIT_NOFILE, &limit);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(ready[1]);
  daemon_pid_ = pid;
  pollfd p{ready[0], POLLIN, 0};
  char buf[16] = {};
  bool ok = ::poll(&p, 1, 15000) > 0 && ::read(ready[0], buf, sizeof buf - 1) > 0;
  ::close(ready[0]);
  ASSERT_TRUE(ok && std::string(buf) == "READY=1\n") << "zsupd did not become ready:\n" << Log();
}

int DaemonTest::StopDaemon(milliseconds timeout) {
  if (daemon_pid_ <= 0) return -1;
  ::kill(daemon_pid_, SIGTERM);
  auto status = WaitPid(daemon_pid_, timeout);
  if (!status) return -1;
  daemon_pid_ = 0;
  return WIFEXITED(*status) ? WEXITSTATUS(*status) : 128 + WTERMSIG(*status);
}

void DaemonTest::KillDaemon() {
  if (daemon_pid_ <= 0) return;
  ::kill(daemon_pid_, SIGKILL);
  WaitPid(daemon_pid_, seconds(10));
  daemon_pid_ = 0;
}

pid_t DaemonTest::StemPid() const {
  std::string text = ReadFile(dir_ + "/stem.lock");
  return text.empty() ? 0 : static_cast<pid_t>(std::stol(text));
}

std::string DaemonTest::Log() const { return LogOf(log_file_); }
std::string DaemonTest::LogOf(const std::string& file) const { return ReadFile(dir_ + "/" + file); }
std::string DaemonTest::control_endpoint() const { return "ipc://" + dir_ + "/control.sock"; }
std::string DaemonTest::events_endpoint() const { return "ipc://" + dir_ + "/events.sock"; }

Result<std::string> DaemonTest::Call(const std::string& request, milliseconds timeout) {
  client::Control control(context_, control_endpoint());  // a fresh socket each time
  return control.Call(request, timeout);
}

Status DaemonTest::Create(const NodeConfig& config) {
  auto reply = Call(EncodeRequest(CreateRequest{config}));
  return reply.ok() ? DecodeOkReply(*reply) : reply.status();
}

Status DaemonTest::Destroy(const std::string& node) {
  auto reply = Call(EncodeRequest(DestroyRequest{node}));
  return reply.ok() ? DecodeOkReply(*reply) : reply.status();
}

Status DaemonTest::Restart(const std::string& node) {
  auto reply = Call(EncodeRequest(RestartRequest{node}));
  return reply.ok() ? DecodeOkReply(*reply) : reply.status();
}

Result<StatusReport> DaemonTest::GetStatus(const std::string& node) {
  auto reply = Call(EncodeRequest(StatusRequest{node}));
  if (!reply.ok()) return reply.status();
  return DecodeStatusReply(*reply);
}

std::optional<NodeStatus> DaemonTest::NodeStatusOf(const std::string& node) {
  auto status = GetStatus(node);
  if (!status.ok() || !status->nodes.contains(node)) return std::nullopt;
  return status->nodes.at(node);
}

Result<std::vector<OutputLine>> DaemonTest::Tail(const std::string& node, Stream stream,
                                                 int64_t lines) {
  auto reply = Call(EncodeRequest(TailRequest{node, stream, lines}));
  if (!reply.ok()) return reply.status();
  return DecodeTailReply(*reply);
}

int64_t DaemonTest::WaitRunning(const std::string& node, milliseconds timeout) {
  return WaitNewPid(node, 0, timeout);
}

Status DaemonTest::Send(const Request& request) {
  auto reply = Call(EncodeRequest(request));
  return reply.ok() ? DecodeOkReply(*reply) : reply.status();
}

std::optional<NodeState> DaemonTest::StateOf(const std::string& node) {
  auto s = NodeStatusOf(node);
  return s ? s->state : std::nullopt;
}

bool DaemonTest::WaitState(const std::string& node, NodeState state, milliseconds timeout) {
  return WaitUntil([&] { return StateOf(node) == state; }, timeout);
}

bool DaemonTest::WaitPrinted(const std::string& node, milliseconds timeout) {
  return WaitUntil(
      [&] {
        auto tail = Tail(node, Stream::kStdout, 1);
        return tail.ok() && !tail->empty();
      },
      timeout);
}

int64_t DaemonTest::WaitNewPid(const std::string& node, int64_t old_pid, milliseconds timeout) {
  int64_t pid = 0;
  WaitUntil(
      [&] {
        auto s = NodeStatusOf(node);
        if (s && s->state == NodeState::kRunning && s->pid && *s->pid != old_pid) pid = *s->pid;
        return pid != 0;
      },
      timeout);
  return pid;
}

std::unique_ptr<Subscriber> DaemonTest::Subscribe(const std::vector<std::string>& prefixes,
                                                  int rcvhwm) {
  // The late-join handshake (client/client.h): when Join() returns, every
  // subscription is in effect and nothing the test triggers can be missed.
  client::Control control(context_, control_endpoint());
  client::SubscriberOptions options;
  options.rcvhwm = rcvhwm;
  options.on_skip = [](const std::string& why) { ADD_FAILURE() << "skipped " << why; };
  auto joined = client::Subscriber::Join(context_, events_endpoint(), control, prefixes,
                                         seconds(10), std::move(options));
  if (!joined.ok()) {
    ADD_FAILURE() << "the subscription to " << events_endpoint()
                  << " never took effect: " << joined.error();
    joined = client::Subscriber::Connect(context_, events_endpoint(), prefixes);
    if (!joined.ok()) {
      ADD_FAILURE() << joined.error();
      return nullptr;
    }
  }
  auto subscriber = std::make_unique<Subscriber>(std::move(*joined));
  return subscriber;
}

}  // namespace zsup::testing

// ---- appended: BackgroundCommand ----
namespace zsup::testing {

BackgroundCommand::BackgroundCommand(const std::vector<std::string>& argv_in,
                                     const std::vector<std::string>& extra_env) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return;
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    return;
  }
  std::vector<std::string> argv = argv_in;
  std::vector<char*> cargv = CStrings(argv);
  std::vector<std::string> env = MergedEnvironment(extra_env);
  std::vector<char*> cenv = CStrings(env);
  pid_ = ::fork();
  if (pid_ == 0) {
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::execve(cargv[0], cargv.data(), cenv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(err[1]);
  fds_[0] = out[0];
  fds_[1] = err[0];
  if (pid_ < 0) ADD_FAILURE() << "fork failed";
}

BackgroundCommand::~BackgroundCommand() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    WaitPid(pid_, seconds(5));
  }
  for (int fd : fds_) {
    if (fd >= 0) ::close(fd);
  }
}

int BackgroundCommand::Pump(milliseconds wait) {
  pollfd p[2] = {{fds_[0], POLLIN, 0}, {fds_[1], POLLIN, 0}};
  if (fds_[0] < 0 && fds_[1] < 0) return -1;
  if (::poll(p, 2, static_cast<int>(wait.count())) <= 0) return 0;
  std::string* sinks[2] = {&result_.out, &result_.err};
  for (int i = 0; i < 2; ++i) {
    if (fds_[i] < 0 || p[i].revents == 0) continue;
    char buf[4096];
    ssize_t n = ::read(fds_[i], buf, sizeof buf);
    if (n > 0) {
      sinks[i]->append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      ::close(fds_[i]);
      fds_[i] = -1;
    }
  }
  return fds_[0] >= 0 || fds_[1] >= 0 ? 1 : -1;
}

bool BackgroundCommand::WaitForOutput(const std::function<bool(const CommandResult&)>& condition,
                                      milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition(result_)) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    if (Pump(milliseconds(20)) < 0) return condition(result_);
  }
}

CommandResult BackgroundCommand::Stop(int signal, milliseconds timeout) {
  if (pid_ <= 0) return result_;
  ::kill(pid_, signal);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline && Pump(milliseconds(20)) >= 0) {
  }
  result_.exit_code = ReapBy(pid_, deadline);
  pid_ = -1;
  while (Pump(milliseconds(0)) > 0) {  // what is left in the pipes
  }
  return result_;
}

OtherZsupd::OtherZsupd(std::string dir, std::vector<std::string> extra)
    : dir_(std::move(dir)),
      control_("tcp://127.0.0.1:" + std::to_string(FreePort())),
      events_("tcp://127.0.0.1:" + std::to_string(FreePort())),
      extra_(std::move(extra)) {
  for (const std::string& d : {dir_, dir_ + "/curve", dir_ + "/curve/authorized",
                               dir_ + "/curve/readonly"}) {
    ::mkdir(d.c_str(), 0700);
  }
}

bool OtherZsupd::Start() {
  std::vector<std::string> argv = {ZsupdPath(), "--state-dir", dir_,     "--stem",
                                   StemPath(),  "--control",   control_, "--events",
                                   events_,     "--stop-timeout", "5"};
  argv.insert(argv.end(), extra_.begin(), extra_.end());
  command_ = std::make_unique<BackgroundCommand>(argv);
  return command_->WaitForOutput(
      [](const CommandResult& r) { return r.err.find(") ready: ") != std::string::npos; },
      seconds(15));
}

int OtherZsupd::Stop() {
  if (!command_) return -1;
  CommandResult r = command_->Stop(SIGTERM, seconds(30));
  command_.reset();
  return r.exit_code;
}

void OtherZsupd::AuthorizeKey(const std::string& key) const {
  std::ofstream(dir_ + "/curve/authorized/" + std::filesystem::path(key).filename().string())
      << ReadFile(key);
}

}  // namespace zsup::testing
