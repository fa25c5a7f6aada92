// One C++ client for zsupd, used by zsupctl, zsup-bench and the tests.
//
// Control: a REQ socket on the control endpoint, kept open (a round trip is
// one send and one receive) and replaced after a timeout or an error (a REQ
// socket without its reply is stuck). A request is sent once, never retried:
// create is not idempotent.
//
// Subscriber: a SUB socket on the events endpoint that joins reliably.
// ZeroMQ gives no word when a subscription has reached the publisher, so a
// subscriber that makes something happen right after subscribing can miss
// its first events (the slow-joiner problem). Join() subscribes, also to
// pong/<token> for a token of its own, and pings zsupd with that token until
// the pong arrives (docs/protocol.md): from then on every event matching
// the prefixes is received. Events that arrive during the handshake are
// kept and returned first. A zsupd older than the handshake (it refuses the
// `pong` field) gets a merely connected subscriber, as before.
//
// Errors are values (Status::Unreachable when zsupd does not answer);
// nothing here throws. Not thread-safe: one thread per Control/Subscriber.
#pragma once

#include <chrono>
#include <deque>
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

namespace zsup::client {

using std::chrono::milliseconds;

// CURVE keys for a tcp endpoint of a zsupd that serves it securely
// (docs/remote.md): zsupd's public key and the client's keypair, Z85.
struct CurveKeys {
  std::string server_public;
  std::string client_public;
  std::string client_secret;
};

struct ControlOptions {
  milliseconds timeout{5000};  // per request unless a call says otherwise
  // Reconnect within milliseconds after zsupd restarts (ZeroMQ's default
  // is 100 ms): for the bench, which restarts zsupd on purpose.
  bool fast_reconnect = false;
  // Checked while waiting: true ends the wait with Status::Error("interrupted").
  std::function<bool()> interrupted;
  std::optional<CurveKeys> curve;  // set: the socket is a CURVE client
};

class Control {
 public:
  Control(zmq::context_t& context, std::string endpoint, ControlOptions options = {});

  // The raw reply to one encoded request.
  Result<std::string> Call(std::string_view request, std::optional<milliseconds> timeout = {});
  Result<std::string> Call(const Request& request) { return Call(EncodeRequest(request)); }
  // A request whose reply is only ok or an error (create, destroy, stop, ...).
  Status Send(const Request& request);
  Result<PingReply> Ping(std::optional<std::string> pong = std::nullopt);

  const std::string& endpoint() const { return endpoint_; }
  milliseconds timeout() const { return options_.timeout; }

 private:
  Status Open();
  zmq::context_t& context_;
  std::string endpoint_;
  ControlOptions options_;
  std::optional<zmq::socket_t> socket_;
};

struct SubscriberOptions {
  int rcvhwm = 0;  // 0: never drop on this side (losses are zsupd's to report)
  int rcvbuf = 0;  // kernel receive buffer; 0: the default
  bool fast_reconnect = false;
  // Told about each event skipped because it does not decode.
  std::function<void(const std::string& why)> on_skip;
  // Checked while waiting: true ends the wait as a timeout would.
  std::function<bool()> interrupted;
  std::optional<CurveKeys> curve;  // set: the socket is a CURVE client
  // Bound on the events that arrive during Join()'s handshake and are kept
  // for Next() (topic + payload bytes). A flood beyond it is dropped, counted
  // in skipped() and told once to on_skip: the handshake must not grow
  // without limit while it waits for its pong behind the flood.
  size_t max_early_bytes = 8 << 20;
};

// Makes `socket` a CURVE client with `keys` (before connect).
void SetCurveClient(zmq::socket_t& socket, const CurveKeys& keys);

class Subscriber {
 public:
  // Subscribes to `prefixes` and returns once zsupd applies them (the pong
  // handshake over `control`), or Status::Unreachable after `timeout`.
  static Result<std::unique_ptr<Subscriber>> Join(zmq::context_t& context,
                                                  const std::string& endpoint, Control& control,
                                                  const std::vector<std::string>& prefixes,
                                                  milliseconds timeout,
                                                  SubscriberOptions options = {});

  // Subscribes without the handshake, for a zsupd that is not up yet: the
  // socket retries until the endpoint exists, and events published before
  // the subscription reaches zsupd are missed.
  static Result<std::unique_ptr<Subscriber>> Connect(zmq::context_t& context,
                                                     const std::string& endpoint,
                                                     const std::vector<std::string>& prefixes,
                                                     SubscriberOptions options = {});

  // The next event within `timeout` (negative: no limit), or nullopt on
  // timeout or once `stop_fd` (e.g. a signalfd; -1: none) is readable.
  Result<std::optional<Event>> Next(milliseconds timeout, int stop_fd = -1);
  // The raw frames of the next message, for a reader that must keep up
  // with a flood (no decoding). False on timeout.
  bool NextRaw(zmq::message_t* topic, zmq::message_t* payload, milliseconds timeout);

  zmq::socket_t& socket() { return socket_; }
  // Events not returned: undecodable, or dropped during the handshake.
  int64_t skipped() const { return skipped_; }

 private:
  Subscriber(zmq::socket_t socket, SubscriberOptions options)
      : socket_(std::move(socket)), options_(std::move(options)) {}
  // One message off the socket, decoded (nullopt: none, or skipped).
  std::optional<Event> ReadOne();
  std::optional<Event> Decode(const std::string& topic, const std::string& payload, size_t frames);
  // Keeps an event that arrived during the handshake, within the bound.
  void KeepEarly(const zmq::message_t& topic, const zmq::message_t& payload);
  std::pair<std::string, std::string> TakeEarly();
  // NextRaw() from the socket only.
  bool ReadRaw(zmq::message_t* topic, zmq::message_t* payload, milliseconds timeout);
  zmq::socket_t socket_;
  SubscriberOptions options_;
  // Arrived during the handshake, as topic and payload; returned first.
  std::deque<std::pair<std::string, std::string>> early_;
  size_t early_bytes_ = 0;  // of early_, at most options_.max_early_bytes
  int64_t skipped_early_ = 0;
  int64_t skipped_ = 0;
};

// A token for Join(): unique within this process, and across processes.
std::string PongToken();

}  // namespace zsup::client
