// A SUB socket on zsupd's events endpoint, for the subcommands that follow:
// client/client.h's Subscriber, joined with the pong handshake, so events
// published after Open() returns are received (what lets `tail -f` fetch
// history after subscribing without a gap). If zsupd goes away while
// following, the socket reconnects by itself when it comes back.
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

  // Waits for the next event. Returns nullopt once `stop_fd` (a signalfd)
  // is readable. Events that do not decode are skipped with a warning on
  // stderr; an error is returned only when the socket itself fails.
  Result<std::optional<Event>> Next(int stop_fd);
  // The next event within `timeout` (0: only what is queued), or nullopt.
  Result<std::optional<Event>> NextWithin(std::chrono::milliseconds timeout);

  // Next() over several subscriptions (one per host): the index of the one
  // that delivered and its event, fairly (each is asked in turn), or
  // nullopt once `stop_fd` is readable.
  static Result<std::optional<std::pair<size_t, Event>>> NextOf(
      const std::vector<Subscription*>& subs, int stop_fd);

 private:
  explicit Subscription(std::unique_ptr<client::Subscriber> sub) : sub_(std::move(sub)) {}
  std::unique_ptr<client::Subscriber> sub_;
  size_t next_turn_ = 0;  // NextOf's fairness, kept in the first subscription
};

}  // namespace zsup::ctl
