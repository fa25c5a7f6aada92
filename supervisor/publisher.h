// zsupd's PUB socket: every event as two frames, topic and msgpack payload
// (see docs/protocol.md). Sending never blocks; a subscriber that falls more
// than the high-water mark behind loses messages (it sees the gap in `seq`)
// rather than slowing the nodes down. Never throws.
#pragma once

#include <zmq.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "broker/codec.h"
#include "broker/status.h"

namespace zsup {

class Publisher {
 public:
  static Result<std::unique_ptr<Publisher>> Bind(zmq::context_t& context,
                                                 const std::string& endpoint, int high_water_mark);

  void Publish(std::string_view topic, std::string_view payload);
  void NodeStatus(const NodeStatusEvent& e);
  void NodeExit(const NodeExitEvent& e);
  // One output line; `topic` is "stdout/<node>" or "stderr/<node>".
  void Output(std::string_view topic, std::string_view node, std::string_view msg, int64_t seq,
              double at);
  // How long queued events may still go out once the socket is closed
  // (default 0: a subscriber that is gone cannot hold up an exit).
  void SetLinger(std::chrono::milliseconds linger);

 private:
  explicit Publisher(zmq::socket_t socket) : socket_(std::move(socket)) {}
  zmq::socket_t socket_;
  msgpack::sbuffer scratch_;
};

}  // namespace zsup
