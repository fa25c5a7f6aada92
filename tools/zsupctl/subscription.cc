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

Result<std::optional<Event>> Subscription::Poll() {
  return sub_->Next(std::chrono::milliseconds(0));
}

Result<std::optional<Event>> Subscription::NextWithin(std::chrono::milliseconds timeout) {
  return sub_->Next(timeout);
}

}  // namespace zsup::ctl
