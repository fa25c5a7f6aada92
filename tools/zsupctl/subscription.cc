#include "tools/zsupctl/subscription.h"

#include <iostream>

namespace zsup::ctl {

Result<std::unique_ptr<Subscription>> Subscription::Open(zmq::context_t& context,
                                                         const std::string& endpoint,
                                                         const std::vector<std::string>& prefixes,
                                                         std::chrono::milliseconds timeout) {
  try {
    zmq::socket_t sub(context, zmq::socket_type::sub);
    sub.set(zmq::sockopt::linger, 0);
    sub.set(zmq::sockopt::rcvhwm, 0);  // never drop what already reached us
    for (const std::string& p : prefixes) sub.set(zmq::sockopt::subscribe, p);
    static int opened = 0;
    const std::string monitor_ep = "inproc://zsupctl-monitor-" + std::to_string(opened++);
    if (zmq_socket_monitor(sub.handle(), monitor_ep.c_str(), ZMQ_EVENT_HANDSHAKE_SUCCEEDED) != 0) {
      return Status::Error(std::string("events socket monitor: ") + zmq_strerror(zmq_errno()));
    }
    zmq::socket_t monitor(context, zmq::socket_type::pair);
    monitor.set(zmq::sockopt::linger, 0);
    monitor.connect(monitor_ep);
    sub.connect(endpoint);
    zmq::pollitem_t item{monitor.handle(), 0, ZMQ_POLLIN, 0};
    bool ready = false;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!ready) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      try {
        ready = zmq::poll(&item, 1, left) > 0;
      } catch (const zmq::error_t& e) {
        if (e.num() != EINTR) throw;
      }
    }
    zmq_socket_monitor(sub.handle(), nullptr, 0);
    if (!ready) return Status::Unreachable("zsupd is not answering at " + endpoint);
    return std::unique_ptr<Subscription>(new Subscription(std::move(sub)));
  } catch (const zmq::error_t& e) {
    return Status::Error("events endpoint '" + endpoint + "': " + e.what());
  }
}

Result<std::optional<Event>> Subscription::Next(int stop_fd) {
  try {
    for (;;) {
      zmq::pollitem_t items[] = {{socket_.handle(), 0, ZMQ_POLLIN, 0},
                                 {nullptr, stop_fd, ZMQ_POLLIN, 0}};
      try {
        zmq::poll(items, 2, std::chrono::milliseconds(-1));
      } catch (const zmq::error_t& e) {
        if (e.num() == EINTR) continue;
        throw;
      }
      if ((items[1].revents & ZMQ_POLLIN) != 0) return std::optional<Event>();
      if ((items[0].revents & ZMQ_POLLIN) == 0) continue;
      zmq::message_t topic, payload;
      if (!socket_.recv(topic, zmq::recv_flags::dontwait)) continue;
      size_t frames = 1;
      bool more = topic.more();
      if (more && socket_.recv(payload, zmq::recv_flags::dontwait)) {
        ++frames;
        more = payload.more();
      }
      for (zmq::message_t extra; more && socket_.recv(extra, zmq::recv_flags::dontwait);) {
        ++frames;
        more = extra.more();
      }
      if (frames != 2) {
        std::cerr << "zsupctl: skipping an event of " << frames << " frames on '"
                  << topic.to_string() << "'\n";
        continue;
      }
      auto event = DecodeEvent(topic.to_string_view(), payload.to_string_view());
      if (!event.ok()) {
        std::cerr << "zsupctl: skipping an undecodable event on '" << topic.to_string()
                  << "': " << event.error() << "\n";
        continue;
      }
      return std::optional<Event>(std::move(*event));
    }
  } catch (const zmq::error_t& e) {
    return Status::Error(std::string("events socket: ") + e.what());
  }
}

}  // namespace zsup::ctl
