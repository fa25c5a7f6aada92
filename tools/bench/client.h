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
#include <utility>
#include <vector>
#include <zmq.hpp>

#include "broker/codec.h"
#include "broker/messages.h"
#include "broker/status.h"
#include "client/client.h"

namespace zsup::bench {

using std::chrono::milliseconds;

// zsup-bench's clients: client/client.h's Control and Subscriber with the
// bench's settings (fast reconnects, Ctrl-C ends every wait).
class Control {
 public:
  Control(zmq::context_t& context, std::string endpoint);

  // One request, one reply, within `timeout`.
  Result<std::string> Call(std::string_view request, milliseconds timeout = milliseconds(30000));

  Status Ping();
  Status Create(const NodeConfig& config);
  Status Destroy(const std::string& node);
  Result<ApplyReply> Apply(const ApplyRequest& request);
  Result<StatusReport> GetStatus(const std::string& node = "");
  client::Control& client() { return client_; }

 private:
  client::Control client_;
};

class Events {
 public:
  // Subscribes to `prefixes` and returns once they are in effect (the pong
  // handshake over `control`), so nothing published afterwards is missed.
  static Result<std::unique_ptr<Events>> Connect(zmq::context_t& context,
                                                 const std::string& endpoint, Control& control,
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
  explicit Events(std::unique_ptr<client::Subscriber> sub) : sub_(std::move(sub)) {}
  std::unique_ptr<client::Subscriber> sub_;
  int64_t undecodable_ = 0;
};

// The `seq` of an output event payload, read without building the event
// (the subscriber must keep up with a million lines a second). nullopt when
// the payload is not a map with an integer `seq`.
std::optional<int64_t> OutputSeq(std::string_view payload);
// The same for a batch (the batches socket): its `seq` and how many lines
// `msgs` holds, read from a map whose keys come in zsupd's order (node,
// seq, at, msgs).
std::optional<std::pair<int64_t, int64_t>> BatchSeqAndCount(std::string_view payload);

// A node running test_node with `args` (none: it sleeps until signalled).
NodeConfig TestNodeConfig(const std::string& test_node, const std::string& name,
                          std::vector<std::string> args = {});

}  // namespace zsup::bench
