// Child processes and temp directories the bench owns, and the one
// interrupt flag. Everything here cleans up after itself: a TempDir removes
// its tree, a Child is killed and reaped when it goes out of scope.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <optional>
#include <string>
#include <vector>

#include "broker/status.h"

namespace zsup::bench {

using std::chrono::milliseconds;

// Set by SIGINT/SIGTERM (see InstallInterruptHandlers); every wait loop of
// the bench checks it and gives up with an error, so destructors clean up.
bool Interrupted();
void InstallInterruptHandlers();
Status InterruptedError();

// A fresh directory under /tmp with a short name (ipc socket paths must fit
// in 108 bytes); removed with everything in it on destruction.
class TempDir {
 public:
  static Result<TempDir> Make(const std::string& prefix);
  TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, "")) {}
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

struct SpawnOptions {
  int stdout_fd = -1;   // -1: /dev/null
  int stderr_fd = -1;   // -1: /dev/null
  int inherit_fd = -1;  // one more descriptor the child keeps (e.g. --ready-fd)
  // The child gets this signal when the bench dies, so nothing outlives a
  // crashed or killed bench (0: none).
  int parent_death_signal = 0;
};

// vfork + execv. Errors of exec are reported through a close-on-exec pipe,
// so a pid is returned only for a child that runs `argv[0]`.
Result<pid_t> Spawn(const std::vector<std::string>& argv, const SpawnOptions& options = {});

// waitpid with a deadline: the raw wait status, or nullopt on timeout.
std::optional<int> WaitPid(pid_t pid, milliseconds timeout);

// Whether a process exists and is not a zombie.
bool ProcessAlive(pid_t pid);
// Open descriptors of a process (-1 when gone).
int CountFds(pid_t pid);
// The command name from /proc/<pid>/comm ("" when gone).
std::string ProcessName(pid_t pid);

// A child the bench started: SIGKILLed and reaped on destruction.
class Child {
 public:
  Child() = default;
  explicit Child(pid_t pid) : pid_(pid) {}
  Child(Child&& other) noexcept : pid_(std::exchange(other.pid_, 0)) {}
  Child& operator=(Child&& other) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() { Kill(); }

  pid_t pid() const { return pid_; }
  // Sends `sig` and reaps within `timeout`; SIGKILL if it is still there.
  // Returns the raw wait status when the child was reaped.
  std::optional<int> Stop(int sig, milliseconds timeout);
  void Kill() { Stop(SIGKILL, milliseconds(5000)); }
  // Reaps an exited child within `timeout` (nullopt: still running).
  std::optional<int> Wait(milliseconds timeout);

 private:
  pid_t pid_ = 0;
};

}  // namespace zsup::bench
