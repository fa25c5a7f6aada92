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
#include "client/client.h"
#include "broker/messages.h"
#include "broker/status.h"

namespace zsup::testing {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string ZsupdPath();
std::string StemPath();
std::string TestNodePath();
std::string ZsupctlPath();
std::string HookedZsupdPath();  // tests/hooked_zsupd.cc, zsupd with output hooks

// Polls `condition` every 10 ms until it holds or `timeout` passes.
bool WaitUntil(const std::function<bool()>& condition, milliseconds timeout = seconds(10));

// A NodeConfig running tests/test_node with `args`.
NodeConfig TestNode(const std::string& name, std::vector<std::string> args = {});

// A TCP port on 127.0.0.1 that nothing listens on right now (the kernel's
// choice; another process could take it before the test binds it).
int FreePort();

// The whole content of a file ("" if it cannot be read).
std::string ReadFile(const std::string& path);

// Whether a process exists (and is not a zombie).
bool ProcessAlive(pid_t pid);

// Open descriptors of a process (from /proc/<pid>/fd).
int CountFds(pid_t pid);

// Children of a process that are zombies (from /proc/<pid>/task/*/children).
int CountZombieChildren(pid_t pid);

// This process's environment with `extra_env` applied: "NAME=VALUE" sets
// (replacing an inherited NAME), "NAME" alone unsets.
std::vector<std::string> MergedEnvironment(const std::vector<std::string>& extra_env);

// Runs a command, returns exit code and captured stdout+stderr.
struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};
CommandResult RunCommand(const std::vector<std::string>& argv, milliseconds timeout = seconds(20),
                         const std::vector<std::string>& extra_env = {});

// A SUB socket on zsupd's events endpoint: client/client.h's Subscriber,
// joined with the pong handshake (DaemonTest::Subscribe()).
class Subscriber {
 public:
  explicit Subscriber(std::unique_ptr<client::Subscriber> sub) : sub_(std::move(sub)) {}
  // The next event within `timeout`, or nullopt.
  std::optional<Event> Next(milliseconds timeout = seconds(10));
  // Events until one satisfies `match` (returned) or the deadline passes.
  std::optional<Event> WaitFor(const std::function<bool(const Event&)>& match,
                               milliseconds timeout = seconds(10));
  // The raw topic of the last event returned.
  const std::string& last_topic() const { return last_topic_; }

 private:
  std::unique_ptr<client::Subscriber> sub_;
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
  std::string Log() const;  // everything zsupd and the stem wrote (to the current log file)
  // Daemons started from now on log to DIR/<file> (default zsupd.log).
  void LogTo(const std::string& file);
  std::string LogOf(const std::string& file) const;
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
  // A request whose reply is a plain {"ok": true}.
  Status Send(const Request& request);
  std::optional<NodeState> StateOf(const std::string& node);
  bool WaitState(const std::string& node, NodeState state, milliseconds timeout = seconds(10));
  Result<std::vector<OutputLine>> Tail(const std::string& node, Stream stream, int64_t lines);

  // Waits until the node is running and returns its pid (0 on timeout).
  int64_t WaitRunning(const std::string& node, milliseconds timeout = seconds(10));
  // Waits until the node runs with a pid other than `old_pid`.
  int64_t WaitNewPid(const std::string& node, int64_t old_pid, milliseconds timeout = seconds(10));
  // Waits until the node has written a line to stdout (a test node started
  // with --print-pid does so once its signal handling is set up; running
  // alone only means exec succeeded).
  bool WaitPrinted(const std::string& node, milliseconds timeout = seconds(10));

  // A subscriber whose subscriptions are known to be in effect (the pong
  // handshake of client/client.h), so no event the test triggers afterwards
  // can be missed.
  std::unique_ptr<Subscriber> Subscribe(const std::vector<std::string>& prefixes,
                                        int rcvhwm = 0);

  zmq::context_t context_{1};
  // The program StartDaemon() runs instead of zsupd (given the same options).
  void set_daemon_binary(std::string path) { daemon_binary_ = std::move(path); }
  // The open-file limit (soft and hard) StartDaemon() gives zsupd; 0: inherited.
  void set_daemon_nofile(long limit) { daemon_nofile_ = limit; }
  // The --stem zsupd is started with (default: the built zsup-stem).
  void set_stem_path(std::string path) { stem_path_ = std::move(path); }
  // The umask StartDaemon() gives zsupd; -1: inherited.
  void set_daemon_umask(int mask) { daemon_umask_ = mask; }

 private:
  std::string daemon_binary_;
  long daemon_nofile_ = 0;
  std::string stem_path_;
  int daemon_umask_ = -1;
  std::string dir_;
  pid_t daemon_pid_ = 0;
  int log_fd_ = -1;
  std::string log_file_;
};

}  // namespace zsup::testing

// ---- appended: long-running commands (zsupctl tail -f / events) ----
#include <csignal>

namespace zsup::testing {

// A command running in the background, e.g. `zsupctl tail -f`, whose output
// is collected while the test does other things. The destructor SIGKILLs and
// reaps it if Stop() was not called.
class BackgroundCommand {
 public:
  explicit BackgroundCommand(const std::vector<std::string>& argv,
                             const std::vector<std::string>& extra_env = {});
  ~BackgroundCommand();
  BackgroundCommand(const BackgroundCommand&) = delete;
  BackgroundCommand& operator=(const BackgroundCommand&) = delete;

  // Collects output until `condition` holds on what was collected so far
  // (true), or `timeout` passes or the command closed both pipes (false).
  bool WaitForOutput(const std::function<bool(const CommandResult&)>& condition,
                     milliseconds timeout = seconds(10));
  // Sends `signal`, collects the output until the command exits (SIGKILL
  // after `timeout`, exit_code -1 then) and returns all of it.
  CommandResult Stop(int signal = SIGINT, milliseconds timeout = seconds(10));
  // What was collected so far (exit_code stays -1 until Stop()).
  const CommandResult& output() const { return result_; }
  pid_t pid() const { return pid_; }

 private:
  // Reads what arrives within `wait`: 1 read or closed something, 0 nothing
  // arrived, -1 both pipes are closed.
  int Pump(milliseconds wait);

  pid_t pid_ = -1;
  int fds_[2] = {-1, -1};  // stdout, stderr
  CommandResult result_;
};

// Another zsupd beside the fixture's, standing in for a second host: its
// own state directory `dir` (made here), its own tcp control and events
// ports, the given extra options (e.g. --insecure-tcp, --zeek). Its CURVE
// key directories are made before it starts, so keys written there by
// AuthorizeKey() are read at its start. Stop() (also the destructor) ends
// it with SIGTERM, so its nodes and stem end with it.
class OtherZsupd {
 public:
  OtherZsupd(std::string dir, std::vector<std::string> extra = {});
  ~OtherZsupd() { Stop(); }
  OtherZsupd(const OtherZsupd&) = delete;
  OtherZsupd& operator=(const OtherZsupd&) = delete;

  // Starts it and waits until its stem reported ready.
  bool Start();
  // Returns zsupd's exit code (-1 if it had to be killed or never ran).
  int Stop();
  // Copies the public key file `key` into DIR/curve/authorized.
  void AuthorizeKey(const std::string& key) const;
  const std::string& dir() const { return dir_; }
  const std::string& control() const { return control_; }
  const std::string& events() const { return events_; }
  std::string server_key() const { return dir_ + "/curve/server.key"; }
  std::string Log() const { return command_ ? command_->output().err : ""; }

 private:
  std::string dir_, control_, events_;
  std::vector<std::string> extra_;
  std::unique_ptr<BackgroundCommand> command_;
};

}  // namespace zsup::testing
