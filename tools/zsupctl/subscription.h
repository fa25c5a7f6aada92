// A SUB socket on zsupd's events endpoint, for the subcommands that follow:
// client/client.h's Subscriber, joined with the pong handshake, so events
// published after Open() returns are received (what lets `tail -f` fetch
// history after subscribing without a gap). If zsupd goes away while
// following, the socket reconnects by itself when it comes back
// (follower.h tells the user meanwhile).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "broker/codec.h"
#include "broker/status.h"
#include "client/client.h"
#include "tools/zsupctl/client.h"

namespace zsup::ctl {

class Subscription {
 public:
  // Status::Unreachable("zsupd is not answering at EP") when the handshake
  // does not complete within the client's timeout.
  static Result<std::unique_ptr<Subscription>> Open(Client& client,
                                                    const std::vector<std::string>& prefixes);

  // The next event already received, without waiting (nullopt: none).
  // Events that do not decode are skipped with a warning on stderr; an
  // error is returned only when the socket itself fails.
  Result<std::optional<Event>> Poll();
  // The next event within `timeout` (0: only what is queued), or nullopt.
  Result<std::optional<Event>> NextWithin(std::chrono::milliseconds timeout);
  // For a poll over several subscriptions (follower.h).
  zmq::socket_t& socket() { return sub_->socket(); }

 private:
  explicit Subscription(std::unique_ptr<client::Subscriber> sub) : sub_(std::move(sub)) {}
  std::unique_ptr<client::Subscriber> sub_;
};

}  // namespace zsup::ctl
