// --wait for stop, start, restart and destroy: until every selected node
// reached where the command leads, one of them failed, or a timeout.
//
// A Waiter subscribes to the nodes' lifecycle events (node_status,
// node_ready, node_exit, node_failed) *before* the command is sent, so no
// change can slip between the command and the wait. It then wakes on those
// events and asks `status` (the truth) for the nodes still on their way;
// without events it asks once a second, for an event zsupd dropped. A
// destroyed node is gone from status at once: its wait ends with the
// node_exit event of the process it had (or, for a zsupd on this machine,
// once that pid no longer exists), so it works for remote hosts too.
//
// Threads: a Waiter uses its Client's context and control socket; one thread
// at a time, like the Client.
#pragma once

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "broker/codec.h"
#include "broker/status.h"
#include "tools/zsupctl/client.h"
#include "tools/zsupctl/subscription.h"

namespace zsup::ctl {

// What --wait waits for after a command.
enum class WaitGoal {
  kGone,     // destroy: the processes the nodes had are gone
  kStopped,  // stop: no process left (stopped, failed or exited)
  kRunning,  // start, restart: running and ready, with a new pid for restart
};

class Waiter {
 public:
  // Subscribes, then reads the status `which` selects as `before` (the
  // nodes waited for). `names`: the nodes' names if known, for topics of
  // their own; empty (--all, --namespace): every node's events. `local`:
  // zsupd runs on this machine, so a pid can be looked up here.
  static Result<std::unique_ptr<Waiter>> Begin(Client& client, const StatusRequest& which,
                                               const std::vector<std::string>& names, WaitGoal goal,
                                               bool new_pid, bool local);

  // What the nodes were before the command (for a caller that needs them).
  const StatusReport& before() const { return before_; }

  // After the command was sent: OK once every node got there; Refused
  // naming a node that failed (with its reason) or exited for good; an
  // error naming the nodes still on their way after `timeout`.
  Status Wait(std::chrono::milliseconds timeout);

 private:
  Waiter(Client& client, std::unique_ptr<Subscription> sub, WaitGoal goal, bool new_pid,
         bool local)
      : client_(client), sub_(std::move(sub)), goal_(goal), new_pid_(new_pid), local_(local) {}
  // Notes what an event says about a pending node.
  void See(const Event& event);
  // Asks status for the pending nodes and drops those that got there.
  Status Check();

  Client& client_;
  std::unique_ptr<Subscription> sub_;
  WaitGoal goal_;
  bool new_pid_;
  bool local_;
  StatusReport before_;
  std::set<std::string> pending_;
  std::set<std::string> exited_;  // destroy: the node_exit of the old pid was seen
};

}  // namespace zsup::ctl
