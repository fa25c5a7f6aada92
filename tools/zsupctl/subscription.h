// A SUB socket on zsupd's events endpoint, for the subcommands that follow.
//
// Open() returns only once the ZeroMQ handshake with zsupd's PUB socket has
// succeeded, i.e. once the subscriptions are on their way: events published
// after a control request sent later are received (what lets `tail -f` fetch
// history after subscribing without a gap). If zsupd goes away while
// following, the socket reconnects by itself when it comes back.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "broker/codec.h"
#include "broker/status.h"

namespace zsup::ctl {

class Subscription {
 public:
  // Status::Unreachable("zsupd is not answering at EP") when no handshake
  // completes within `timeout`.
  static Result<std::unique_ptr<Subscription>> Open(zmq::context_t& context,
                                                    const std::string& endpoint,
                                                    const std::vector<std::string>& prefixes,
                                                    std::chrono::milliseconds timeout);

  // Waits for the next event. Returns nullopt once `stop_fd` (a signalfd)
  // is readable. Events that do not decode are skipped with a warning on
  // stderr; an error is returned only when the socket itself fails.
  Result<std::optional<Event>> Next(int stop_fd);

 private:
  explicit Subscription(zmq::socket_t socket) : socket_(std::move(socket)) {}
  zmq::socket_t socket_;
};

}  // namespace zsup::ctl
