#include "tools/bench/process.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "tools/bench/stats.h"

namespace zsup::bench {
namespace {

std::atomic<bool> g_interrupted{false};

void OnInterrupt(int /*sig*/) { g_interrupted.store(true); }

}  // namespace

bool Interrupted() { return g_interrupted.load(std::memory_order_relaxed); }

void InstallInterruptHandlers() {
  struct sigaction action {};
  action.sa_handler = OnInterrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: a blocking poll returns EINTR
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
}

Status InterruptedError() { return Status::Error("interrupted"); }

Result<TempDir> TempDir::Make(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) return Status::Errno("mkdtemp " + tmpl, errno);
  return TempDir(tmpl);
}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    TempDir gone(std::move(*this));
    path_ = std::exchange(other.path_, "");
  }
  return *this;
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

Result<pid_t> Spawn(const std::vector<std::string>& args, const SpawnOptions& options) {
  if (args.empty()) return Status::Error("spawn: no program");
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  argv.reserve(copy.size() + 1);
  for (std::string& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) return Status::Errno("pipe", errno);
  const pid_t parent = ::getpid();
  // vfork: the cost of starting a child must not grow with the bench's own
  // memory (its subscriber may have buffered millions of events), or the
  // start of zsupd and the spawn floor would measure the bench. The child
  // only makes system calls on prepared data until it execs or _exits.
  const pid_t pid = ::vfork();  // NOLINT(clang-analyzer-security.insecureAPI.vfork)
  if (pid < 0) {
    int err = errno;
    ::close(report[0]);
    ::close(report[1]);
    return Status::Errno("vfork", err);
  }
  if (pid == 0) {
    // Async-signal-safe calls only from here to exec.
    if (options.parent_death_signal != 0) {
      ::prctl(PR_SET_PDEATHSIG, options.parent_death_signal);
      if (::getppid() != parent) ::_exit(127);
    }
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);  // 0-2 are dup2()ed copies
    ::dup2(null, 0);
    ::dup2(options.stdout_fd >= 0 ? options.stdout_fd : null, 1);
    ::dup2(options.stderr_fd >= 0 ? options.stderr_fd : null, 2);
    if (options.inherit_fd >= 0) ::fcntl(options.inherit_fd, F_SETFD, 0);
    ::execv(argv[0], argv.data());
    int err = errno;
    ssize_t ignored = ::write(report[1], &err, sizeof err);
    (void)ignored;
    ::_exit(127);
  }
  ::close(report[1]);
  int err = 0;
  ssize_t n;
  do {
    n = ::read(report[0], &err, sizeof err);
  } while (n < 0 && errno == EINTR);
  ::close(report[0]);
  if (n > 0) {
    WaitPid(pid, milliseconds(5000));
    return Status::Errno("cannot run " + args[0], err);
  }
  return pid;
}

std::optional<int> WaitPid(pid_t pid, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) return std::nullopt;
    if (Clock::now() >= deadline) return std::nullopt;
    ::poll(nullptr, 0, 2);
  }
}

bool ProcessAlive(pid_t pid) {
  if (pid <= 0) return false;
  const std::string stat = ReadTextFile("/proc/" + std::to_string(pid) + "/stat");
  const size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z' &&
         stat[paren + 2] != 'X';
}

int CountFds(pid_t pid) {
  std::error_code ec;
  std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec);
  if (ec) return -1;
  int n = 0;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) return -1;
    ++n;
  }
  return n;
}

std::string ProcessName(pid_t pid) {
  std::string comm = ReadTextFile("/proc/" + std::to_string(pid) + "/comm");
  while (!comm.empty() && comm.back() == '\n') comm.pop_back();
  return comm;
}

Child& Child::operator=(Child&& other) noexcept {
  if (this != &other) {
    Kill();
    pid_ = std::exchange(other.pid_, 0);
  }
  return *this;
}

std::optional<int> Child::Stop(int sig, milliseconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  ::kill(pid_, sig);
  auto status = WaitPid(pid_, timeout);
  if (!status && sig != SIGKILL) {
    ::kill(pid_, SIGKILL);
    status = WaitPid(pid_, milliseconds(5000));
  }
  pid_ = 0;
  return status;
}

std::optional<int> Child::Wait(milliseconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  auto status = WaitPid(pid_, timeout);
  if (status) pid_ = 0;
  return status;
}

}  // namespace zsup::bench
