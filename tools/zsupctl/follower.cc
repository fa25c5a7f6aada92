#include "tools/zsupctl/follower.h"

#include <algorithm>
#include <iostream>

namespace zsup::ctl {
namespace {

using Clock = Liveness::Clock;
using Found = std::optional<std::pair<size_t, Event>>;

}  // namespace

void NoteAwaitedNode(const std::string& node, bool several) {
  std::cerr << "zsupctl: no node '" << node << "' on " << (several ? "any host" : "zsupd")
            << " (yet); waiting for it\n";
}

Follower::Follower(std::vector<Source> sources) {
  const auto now = Clock::now();
  for (Source& s : sources) {
    // Ping as often as a ping may take: a zsupd gone is told within about
    // twice --timeout.
    const Clock::duration t = s.client->timeout();
    watches_.push_back({std::move(s), Liveness(t, t, now), std::nullopt, false});
  }
}

void Follower::Say(const Watch& w, const std::string& what) {
  std::cerr << "zsupctl: " << (w.source.host.empty() ? "" : "host " + w.source.host + ": ") << what
            << "\n"
            << std::flush;
}

void Follower::SendPing(Watch& w) {
  const std::string ping = EncodeRequest(PingRequest{});
  const Endpoints& endpoints = w.source.client->endpoints();
  try {
    // A REQ socket whose request went unanswered is stuck: a fresh one.
    if (!w.probe || w.pending) {
      w.probe.reset();
      w.probe.emplace(w.source.client->context(), zmq::socket_type::req);
      w.probe->set(zmq::sockopt::linger, 0);
      if (endpoints.control.starts_with("tcp://") && endpoints.curve) {
        client::SetCurveClient(*w.probe, *endpoints.curve);
      }
      w.probe->connect(endpoints.control);
    }
    // Queued until connected; when it cannot be, the deadline tells.
    w.pending =
        w.probe->send(zmq::const_buffer(ping.data(), ping.size()), zmq::send_flags::dontwait)
            .has_value();
  } catch (const zmq::error_t&) {
    w.probe.reset();  // counts as no answer: the deadline tells
    w.pending = false;
  }
}

void Follower::Apply(Watch& w, const LivenessActions& a) {
  if (a.say_down) {
    Say(w, "zsupd at " + w.source.client->endpoints().control + " is not answering; still trying");
  }
  if (a.say_up) Say(w, "connected again");
  if (a.send_ping) SendPing(w);
}

void Follower::ReadAnswer(Watch& w, Clock::time_point now) {
  if (!w.pending) return;
  zmq::message_t reply;
  try {
    if (!w.probe->recv(reply, zmq::recv_flags::dontwait)) return;
  } catch (const zmq::error_t&) {
    w.probe.reset();  // the deadline tells
    w.pending = false;
    return;
  }
  w.pending = false;  // any reply is zsupd answering
  Apply(w, w.liveness.OnAnswer(now));
}

Result<Found> Follower::Next(int stop_fd) {
  const size_t n = watches_.size();
  for (;;) {
    // What is queued already (also what arrived during a handshake).
    for (size_t k = 0; k < n; ++k) {
      const size_t i = (turn_ + k) % n;
      auto event = watches_[i].source.sub->Poll();
      if (!event.ok()) return event.status();
      if (event->has_value()) {
        turn_ = i + 1;
        return Found(std::pair<size_t, Event>(i, std::move(**event)));
      }
    }
    // An answer first: one that came during a flood of events is not missed.
    const auto now = Clock::now();
    for (Watch& w : watches_) ReadAnswer(w, now);
    Clock::time_point earliest = Clock::time_point::max();
    for (Watch& w : watches_) {
      if (now >= w.liveness.deadline()) Apply(w, w.liveness.OnDeadline(now));
      earliest = std::min(earliest, w.liveness.deadline());
    }
    // The subscriptions, then the pings out, then stop_fd.
    std::vector<zmq::pollitem_t> items;
    for (Watch& w : watches_) items.push_back({w.source.sub->socket().handle(), 0, ZMQ_POLLIN, 0});
    for (Watch& w : watches_) {
      if (w.pending) items.push_back({w.probe->handle(), 0, ZMQ_POLLIN, 0});
    }
    items.push_back({nullptr, stop_fd, ZMQ_POLLIN, 0});
    const auto wait = std::max(Clock::duration::zero(), earliest - now);
    try {
      zmq::poll(items.data(), items.size(), std::chrono::ceil<std::chrono::milliseconds>(wait));
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;
      return Status::Error(std::string("events sockets: ") + e.what());
    }
    if ((items.back().revents & ZMQ_POLLIN) != 0) return Found();
  }
}

}  // namespace zsup::ctl
