#include "tools/zsupctl/subscription.h"

#include <iostream>

namespace zsup::ctl {

Result<std::unique_ptr<Subscription>> Subscription::Open(Client& client,
                                                         const std::vector<std::string>& prefixes) {
  client::SubscriberOptions options;
  options.on_skip = [](const std::string& why) { std::cerr << "zsupctl: skipping " << why << "\n"; };
  // CURVE on tcp only: an ipc socket next to it stays plain.
  if (client.endpoints().events.starts_with("tcp://")) options.curve = client.endpoints().curve;
  auto sub = client::Subscriber::Join(client.context(), client.endpoints().events, client.control(),
                                      prefixes, client.timeout(), std::move(options));
  if (!sub.ok()) return sub.status();
  return std::unique_ptr<Subscription>(new Subscription(std::move(*sub)));
}

Result<std::optional<Event>> Subscription::Next(int stop_fd) {
  return sub_->Next(std::chrono::milliseconds(-1), stop_fd);
}

Result<std::optional<Event>> Subscription::NextWithin(std::chrono::milliseconds timeout) {
  return sub_->Next(timeout);
}

Result<std::optional<std::pair<size_t, Event>>> Subscription::NextOf(
    const std::vector<Subscription*>& subs, int stop_fd) {
  using Found = std::optional<std::pair<size_t, Event>>;
  if (subs.size() == 1) {
    auto event = subs.front()->Next(stop_fd);
    if (!event.ok()) return event.status();
    if (!event->has_value()) return Found();
    return Found(std::pair<size_t, Event>(0, std::move(**event)));
  }
  size_t& turn = subs.front()->next_turn_;
  for (;;) {
    // What is queued already (also what arrived during a handshake).
    for (size_t k = 0; k < subs.size(); ++k) {
      const size_t i = (turn + k) % subs.size();
      auto event = subs[i]->sub_->Next(std::chrono::milliseconds(0));
      if (!event.ok()) return event.status();
      if (event->has_value()) {
        turn = i + 1;
        return Found(std::pair<size_t, Event>(i, std::move(**event)));
      }
    }
    std::vector<zmq::pollitem_t> items;
    for (Subscription* s : subs) items.push_back({s->sub_->socket().handle(), 0, ZMQ_POLLIN, 0});
    items.push_back({nullptr, stop_fd, ZMQ_POLLIN, 0});
    try {
      zmq::poll(items.data(), items.size(), std::chrono::milliseconds(-1));
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;
      return Status::Error(std::string("events sockets: ") + e.what());
    }
    if ((items.back().revents & ZMQ_POLLIN) != 0) return Found();
  }
}

}  // namespace zsup::ctl
