// DaemonTest: integration tests against the real binaries. Each test gets a
// fresh state directory (a short /tmp path, so ipc socket paths fit), a real
// zsupd started with --ready-fd, and helpers to talk to it over its real
// sockets. On failure the daemon's log is printed. Every wait has a deadline.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "broker/codec.h"
#include "broker/messages.h"
#include "broker/status.h"

namespace zsup::testing {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string ZsupdPath();
std::string StemPath();
std::string TestNodePath();
std::string ZsupctlPath();

// Polls `condition` every 10 ms until it holds or `timeout` passes.
bool WaitUntil(const std::function<bool()>& condition, milliseconds timeout = seconds(10));

// A NodeConfig running tests/test_node with `args`.
NodeConfig TestNode(const std::string& name, std::vector<std::string> args = {});

// Whether a process exists (and is not a zombie).
bool ProcessAlive(pid_t pid);

// Open descriptors of a process (from /proc/<pid>/fd).
int CountFds(pid_t pid);

// Children of a process that are zombies (from /proc/<pid>/task/*/children).
int CountZombieChildren(pid_t pid);

// Runs a command, returns exit code and captured stdout+stderr.
struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};
CommandResult RunCommand(const std::vector<std::string>& argv, milliseconds timeout = seconds(20),
                         const std::vector<std::string>& extra_env = {});

// A SUB socket on zsupd's events endpoint.
class Subscriber {
 public:
  Subscriber(zmq::context_t& context, const std::string& endpoint,
             const std::vector<std::string>& prefixes);
  // The next event within `timeout`, or nullopt.
  std::optional<Event> Next(milliseconds timeout = seconds(10));
  // Events until one satisfies `match` (returned) or the deadline passes.
  std::optional<Event> WaitFor(const std::function<bool(const Event&)>& match,
                               milliseconds timeout = seconds(10));
  // The raw topic of the last event returned.
  const std::string& last_topic() const { return last_topic_; }

 private:
  zmq::socket_t socket_;
  std::string last_topic_;
};

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Starts zsupd on dir() and waits for READY (fails the test otherwise).
  void StartDaemon(const std::vector<std::string>& extra_args = {});
  // SIGTERM and wait for exit; returns the exit code.
  int StopDaemon(milliseconds timeout = seconds(40));
  // SIGKILL and reap.
  void KillDaemon();
  pid_t daemon_pid() const { return daemon_pid_; }
  // The pid in DIR/stem.lock (0 if none).
  pid_t StemPid() const;
  std::string Log() const;  // everything zsupd and the stem wrote
  const std::string& dir() const { return dir_; }
  std::string control_endpoint() const;
  std::string events_endpoint() const;

  // Raw request/reply on the control socket (a fresh REQ socket each time).
  Result<std::string> Call(const std::string& request, milliseconds timeout = seconds(10));
  Status Create(const NodeConfig& config);
  Status Destroy(const std::string& node);
  Status Restart(const std::string& node);
  Result<StatusReport> GetStatus(const std::string& node = "");
  // Status of one node (fails the test if absent).
  std::optional<NodeStatus> NodeStatusOf(const std::string& node);
  Result<std::vector<OutputLine>> Tail(const std::string& node, Stream stream, int64_t lines);

  // Waits until the node is running and returns its pid (0 on timeout).
  int64_t WaitRunning(const std::string& node, milliseconds timeout = seconds(10));
  // Waits until the node runs with a pid other than `old_pid`.
  int64_t WaitNewPid(const std::string& node, int64_t old_pid, milliseconds timeout = seconds(10));

  std::unique_ptr<Subscriber> Subscribe(const std::vector<std::string>& prefixes);

  zmq::context_t context_{1};

 private:
  std::string dir_;
  pid_t daemon_pid_ = 0;
  int log_fd_ = -1;
};

}  // namespace zsup::testing
