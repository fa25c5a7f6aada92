#include "tools/bench/daemon.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "tools/bench/stats.h"

namespace zsup::bench {
namespace {

constexpr size_t kLogTailBytes = 3000;

}  // namespace

Daemon::Daemon(std::string dir, DaemonOptions options)
    : dir_(std::move(dir)), options_(std::move(options)) {}

Daemon::~Daemon() {
  if (child_.pid() > 0 && !Stop(milliseconds(40000)).ok()) Kill();
  KillStem();
}

Status Daemon::Start(milliseconds timeout) {
  if (child_.pid() > 0) return Status::Error("zsupd already runs");
  if (!log_) {
    log_.Reset(
        ::open((dir_ + "/zsupd.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    if (!log_) return Status::Errno("open " + dir_ + "/zsupd.log", errno);
  }
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) return Status::Errno("pipe", errno);
  UniqueFd read_end(ready[0]), write_end(ready[1]);
  std::vector<std::string> args = {options_.zsupd,
                                   "--state-dir",
                                   dir_,
                                   "--stem",
                                   options_.stem,
                                   "--ready-fd",
                                   std::to_string(ready[1]),
                                   "--no-echo",
                                   "--synchronous",
                                   options_.synchronous,
                                   "--stop-timeout",
                                   "5"};
  if (options_.events_hwm > 0) {
    args.insert(args.end(), {"--events-hwm", std::to_string(options_.events_hwm)});
  }
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  SpawnOptions spawn;
  spawn.stdout_fd = log_.get();
  spawn.stderr_fd = log_.get();
  spawn.inherit_fd = ready[1];
  spawn.parent_death_signal = SIGTERM;  // a dying bench takes zsupd and its nodes along
  const auto start = Clock::now();
  auto pid = Spawn(args, spawn);
  if (!pid.ok()) return pid.status();
  child_ = Child(*pid);
  write_end.Reset();

  // READY=1\n, or EOF if zsupd exits first.
  std::string got;
  const auto deadline = start + timeout;
  while (got.find('\n') == std::string::npos) {
    if (Interrupted()) return InterruptedError();
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return WithLog(Status::Error("zsupd did not become ready in time"));
    pollfd p{read_end.get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[32];
    ssize_t n = ::read(read_end.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return WithLog(Status::Error("zsupd exited before it was ready"));
    got.append(buf, static_cast<size_t>(n));
  }
  ready_seconds_ = SecondsSince(start);
  if (got != "READY=1\n") return WithLog(Status::Error("zsupd wrote '" + got + "' to --ready-fd"));
  return Status::Ok();
}

Status Daemon::Stop(milliseconds timeout) {
  if (child_.pid() <= 0) return Status::Ok();
  ::kill(child_.pid(), SIGTERM);
  auto status = child_.Wait(timeout);
  if (!status) return WithLog(Status::Error("zsupd did not stop within the timeout"));
  if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    return WithLog(Status::Error("zsupd ended with wait status " + std::to_string(*status)));
  }
  return Status::Ok();
}

void Daemon::Kill() { child_.Kill(); }

pid_t Daemon::StemPid() const {
  const std::string text = ReadTextFile(dir_ + "/stem.lock");
  const auto pid = static_cast<pid_t>(std::strtol(text.c_str(), nullptr, 10));
  if (pid <= 0 || !ProcessAlive(pid) || ProcessName(pid) != "zsup-stem") return 0;
  return pid;
}

void Daemon::KillStem() {
  const pid_t stem = StemPid();
  if (stem <= 0) return;
  ::kill(stem, SIGKILL);
  for (int i = 0; i < 500 && ProcessAlive(stem); ++i) ::poll(nullptr, 0, 10);
}

Status Daemon::WithLog(const Status& s) const {
  if (s.ok()) return s;
  std::string log = ReadTextFile(dir_ + "/zsupd.log");
  if (log.size() > kLogTailBytes) log = "..." + log.substr(log.size() - kLogTailBytes);
  return Status::Error(s.message() + "\n---- zsupd log (" + dir_ + "/zsupd.log) ----\n" + log +
                       "----");
}

}  // namespace zsup::bench
