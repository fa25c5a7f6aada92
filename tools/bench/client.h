// Talking to zsupd as an outside client does: a REQ socket on the control
// endpoint (kept open, as a real client would, so a round trip is one
// send + one receive) and a SUB socket on the events endpoint that is
// connected before it is returned. Never throws: ZeroMQ errors become Status.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

#include "broker/codec.h"
#include "broker/messages.h"
#include "broker/status.h"

namespace zsup::bench {

using std::chrono::milliseconds;

class Control {
 public:
  Control(zmq::context_t& context, std::string endpoint);

  // One request, one reply, within `timeout`. After a timeout the socket is
  // replaced (a REQ socket without its reply is stuck).
  Result<std::string> Call(std::string_view request, milliseconds timeout = milliseconds(30000));

  Status Ping();
  Status Create(const NodeConfig& config);
  Status Destroy(const std::string& node);
  Result<ApplyReply> Apply(const ApplyRequest& request);
  Result<StatusReport> GetStatus(const std::string& node = "");

 private:
  Status Open();
  zmq::context_t& context_;
  std::string endpoint_;
  std::optional<zmq::socket_t> socket_;
};

class Events {
 public:
  // Subscribes to `prefixes` and waits (ZMQ_EVENT_CONNECTED on a socket
  // monitor) until the connection is up, so nothing published afterwards is
  // missed for want of a subscription. A short pause follows for the
  // subscription itself to reach zsupd.
  static Result<std::unique_ptr<Events>> Connect(zmq::context_t& context,
                                                 const std::string& endpoint,
                                                 const std::vector<std::string>& prefixes);

  // Subscribes without waiting, for a zsupd that is not up yet: the socket
  // retries every few milliseconds until the endpoint exists. Events
  // published before the connection is made are missed.
  static Result<std::unique_ptr<Events>> ConnectEarly(zmq::context_t& context,
                                                      const std::string& endpoint,
                                                      const std::vector<std::string>& prefixes);

  // The next message's two frames, or false on timeout/interrupt.
  bool NextRaw(zmq::message_t* topic, zmq::message_t* payload, milliseconds timeout);
  // The next decoded event (undecodable ones are skipped and counted).
  std::optional<Event> Next(milliseconds timeout);
  // Events until one satisfies `match` or `timeout` passes.
  std::optional<Event> WaitFor(const std::function<bool(const Event&)>& match,
                               milliseconds timeout);
  int64_t undecodable() const { return undecodable_; }

 private:
  explicit Events(zmq::socket_t socket) : socket_(std::move(socket)) {}
  zmq::socket_t socket_;
  int64_t undecodable_ = 0;
};

// The `seq` of an output event payload, read without building the event
// (the subscriber must keep up with a million lines a second). nullopt when
// the payload is not a map with an integer `seq`.
std::optional<int64_t> OutputSeq(std::string_view payload);

// A node running test_node with `args` (none: it sleeps until signalled).
NodeConfig TestNodeConfig(const std::string& test_node, const std::string& name,
                          std::vector<std::string> args = {});

}  // namespace zsup::bench
