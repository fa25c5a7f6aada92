// The connections of one ZeroMQ socket zsupd binds (control or events),
// seen through a socket monitor: which descriptors they use, how many there
// are, and which peers leave data unread. ZeroMQ itself tells a socket's
// owner nothing per connection; this is what lets zsupd cut off one stuck
// subscriber instead of dropping events for all of them, and stop accepting
// connections before the descriptors run out.
//
// The monitor is an inproc PAIR socket: poll monitor() for POLLIN and call
// Drain(). A connection is known by its descriptor and that descriptor's
// inode (checked again before anything is done to it, as ZeroMQ's I/O
// thread closes and reuses descriptors on its own). Never throws;
// single-threaded (zsupd's loop).
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "broker/clock.h"
#include "broker/status.h"

namespace zsup {

class Connections {
 public:
  // Starts monitoring `socket` (before it binds, so no connection is missed).
  static Result<std::unique_ptr<Connections>> Watch(zmq::context_t& context, zmq::socket_t& socket,
                                                    const std::string& name);
  ~Connections();
  Connections(const Connections&) = delete;
  Connections& operator=(const Connections&) = delete;

  zmq::socket_t& monitor() { return monitor_; }

  // Handles the events waiting on the monitor.
  void Drain();
  // The descriptors of the connections accepted since the last call.
  std::vector<int> TakeAccepted();
  size_t count() const { return open_.size(); }

  // Closes (shutdown(2)) every connection whose kernel send queue still
  // holds data (SIOCOUTQ): a peer that reads nothing. ZeroMQ notices, drops
  // what it queued for it, and the peer may connect again. With
  // `on_probation_only`, only connections on probation: made by a process
  // (SO_PEERCRED) one of whose connections was cut off within
  // kProbation, i.e. a stuck subscriber that reconnected, which then costs
  // the others a millisecond instead of another stall limit. Connections
  // that process already had are not on probation. Returns how many.
  size_t CutOffBacklogged(bool on_probation_only, TimePoint now);
  // Whether any connection's kernel send queue holds data.
  bool AnyBacklogged();
  // Closes one connection (shutdown(2)) if `fd` still is one of ours.
  bool CutOff(int fd);

  static constexpr Duration kProbation = std::chrono::seconds(60);

 private:
  Connections(zmq::socket_t monitor, std::string name);
  // Whether `fd` still is the connection accepted with inode `ino`.
  static bool Same(int fd, ino_t ino);

  zmq::socket_t monitor_;
  std::string name_;
  struct Connection {
    ino_t ino = 0;
    pid_t peer = 0;  // 0: unknown (not a unix socket)
    bool probation = false;
  };
  std::map<int, Connection> open_;  // by descriptor
  std::vector<int> accepted_;
  std::map<pid_t, TimePoint> cut_peers_;  // when a connection of that process was cut off
  TimePoint now_{};                       // of the last CutOffBacklogged()
};

}  // namespace zsup
