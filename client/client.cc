#include "client/client.h"

#include <unistd.h>

#include <atomic>

namespace zsup::client {
namespace {

using Clock = std::chrono::steady_clock;

milliseconds Left(Clock::time_point deadline) {
  return std::max(milliseconds(0),
                  std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
}

// Waits for `events` on `item`, retrying after EINTR, up to `timeout`.
// Returns whether they came; `interrupted` can end the wait early.
bool PollFor(zmq::pollitem_t* items, int n, milliseconds timeout,
             const std::function<bool()>& interrupted) {
  const bool forever = timeout.count() < 0;
  const auto deadline = Clock::now() + (forever ? milliseconds(0) : timeout);
  for (;;) {
    if (interrupted && interrupted()) return false;
    const milliseconds left = forever ? milliseconds(-1) : Left(deadline);
    try {
      return zmq::poll(items, static_cast<size_t>(n), left) > 0;
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) throw;
      if (!forever && Left(deadline).count() == 0) return false;
    }
  }
}

}  // namespace

std::string PongToken() {
  static std::atomic<int> counter{0};
  // Ends with '_' so that no token is a prefix of another (subscriptions
  // match prefixes).
  return "c" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "_";
}

void SetCurveClient(zmq::socket_t& socket, const CurveKeys& keys) {
  socket.set(zmq::sockopt::curve_serverkey, keys.server_public);
  socket.set(zmq::sockopt::curve_publickey, keys.client_public);
  socket.set(zmq::sockopt::curve_secretkey, keys.client_secret);
}

Control::Control(zmq::context_t& context, std::string endpoint, ControlOptions options)
    : context_(context), endpoint_(std::move(endpoint)), options_(std::move(options)) {}

Status Control::Open() {
  try {
    socket_.emplace(context_, zmq::socket_type::req);
    socket_->set(zmq::sockopt::linger, 0);
    if (options_.fast_reconnect) {
      socket_->set(zmq::sockopt::reconnect_ivl, 2);
      socket_->set(zmq::sockopt::reconnect_ivl_max, 2);
    }
    if (options_.curve) SetCurveClient(*socket_, *options_.curve);
    socket_->connect(endpoint_);
    return Status::Ok();
  } catch (const zmq::error_t& e) {
    socket_.reset();
    return Status::Error("control endpoint '" + endpoint_ + "': " + e.what());
  }
}

Result<std::string> Control::Call(std::string_view request, std::optional<milliseconds> timeout) {
  if (!socket_) {
    Status s = Open();
    if (!s.ok()) return s;
  }
  try {
    if (!socket_->send(zmq::const_buffer(request.data(), request.size()),
                       zmq::send_flags::dontwait)) {
      socket_.reset();  // REQ queues until connected: a full queue means nothing is there
      return Status::Unreachable("zsupd is not answering at " + endpoint_);
    }
    zmq::pollitem_t item{socket_->handle(), 0, ZMQ_POLLIN, 0};
    if (PollFor(&item, 1, timeout.value_or(options_.timeout), options_.interrupted)) {
      zmq::message_t reply;
      if (socket_->recv(reply, zmq::recv_flags::dontwait)) return reply.to_string();
    }
  } catch (const zmq::error_t& e) {
    socket_.reset();
    return Status::Error("control endpoint '" + endpoint_ + "': " + e.what());
  }
  socket_.reset();
  if (options_.interrupted && options_.interrupted()) return Status::Error("interrupted");
  return Status::Unreachable("zsupd is not answering at " + endpoint_);
}

Status Control::Send(const Request& request) {
  auto reply = Call(request);
  return reply.ok() ? DecodeOkReply(*reply) : reply.status();
}

Result<PingReply> Control::Ping(std::optional<std::string> pong) {
  auto reply = Call(PingRequest{std::move(pong)});
  if (!reply.ok()) return reply.status();
  return DecodePingReply(*reply);
}

Result<std::unique_ptr<Subscriber>> Subscriber::Connect(zmq::context_t& context,
                                                        const std::string& endpoint,
                                                        const std::vector<std::string>& prefixes,
                                                        SubscriberOptions options) {
  try {
    zmq::socket_t socket(context, zmq::socket_type::sub);
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::rcvhwm, options.rcvhwm);
    if (options.rcvbuf > 0) socket.set(zmq::sockopt::rcvbuf, options.rcvbuf);
    if (options.fast_reconnect) {
      socket.set(zmq::sockopt::reconnect_ivl, 2);
      socket.set(zmq::sockopt::reconnect_ivl_max, 2);
    }
    for (const std::string& p : prefixes) socket.set(zmq::sockopt::subscribe, p);
    if (options.curve) SetCurveClient(socket, *options.curve);
    socket.connect(endpoint);
    return std::unique_ptr<Subscriber>(new Subscriber(std::move(socket), std::move(options)));
  } catch (const zmq::error_t& e) {
    return Status::Error("events endpoint '" + endpoint + "': " + e.what());
  }
}

Result<std::unique_ptr<Subscriber>> Subscriber::Join(zmq::context_t& context,
                                                     const std::string& endpoint, Control& control,
                                                     const std::vector<std::string>& prefixes,
                                                     milliseconds timeout,
                                                     SubscriberOptions options) {
  const std::string token = PongToken();
  const std::string pong_topic = "pong/" + token;
  std::vector<std::string> all = prefixes;
  all.push_back(pong_topic);
  auto connected = Connect(context, endpoint, all, std::move(options));
  if (!connected.ok()) return connected.status();
  std::unique_ptr<Subscriber> sub = std::move(*connected);
  // Ping until the pong comes back on this socket: each ping is answered
  // (or times out) before the next, so this sends at most one a round trip.
  const auto deadline = Clock::now() + timeout;
  while (Left(deadline).count() > 0) {
    auto reply =
        control.Call(EncodeRequest(PingRequest{token}),
                     std::min(control.timeout(), std::max(Left(deadline), milliseconds(1))));
    Status ping = reply.ok() ? DecodePingReply(*reply).status() : reply.status();
    if (!ping.ok() && ping.message().find("unknown field 'pong'") != std::string::npos) {
      // A zsupd older than the handshake: connected is all it offers.
      return sub;
    }
    if (!ping.ok() && ping.code() != Status::Code::kUnreachable) return ping;
    auto wait_until = Clock::now() + std::min(milliseconds(100), Left(deadline));
    try {
      zmq::message_t topic, payload;
      // Bounded by the clock: a flood of matching events must not keep the
      // handshake from pinging again (the first pong may have gone out before
      // the subscription arrived).
      while (Left(wait_until).count() > 0 && sub->ReadRaw(&topic, &payload, Left(wait_until))) {
        if (topic.to_string_view() == pong_topic) {
          sub->socket_.set(zmq::sockopt::unsubscribe, pong_topic);
          return sub;
        }
        // Matches what was asked for: it belongs to the caller.
        sub->KeepEarly(topic, payload);
      }
    } catch (const zmq::error_t& e) {
      return Status::Error("events endpoint '" + endpoint + "': " + e.what());
    }
  }
  return Status::Unreachable("zsupd is not answering at " + endpoint);
}

void Subscriber::KeepEarly(const zmq::message_t& topic, const zmq::message_t& payload) {
  const size_t bytes = topic.size() + payload.size();
  if (early_bytes_ + bytes > options_.max_early_bytes) {
    if (skipped_early_++ == 0 && options_.on_skip) {
      options_.on_skip("events dropped during the subscription handshake: more than " +
                       std::to_string(options_.max_early_bytes) + " bytes arrived before its pong");
    }
    ++skipped_;
    return;
  }
  early_bytes_ += bytes;
  early_.emplace_back(topic.to_string(), payload.to_string());
}

std::pair<std::string, std::string> Subscriber::TakeEarly() {
  auto front = std::move(early_.front());
  early_.pop_front();
  early_bytes_ -= front.first.size() + front.second.size();
  return front;
}

std::optional<Event> Subscriber::ReadOne() {
  zmq::message_t topic, payload;
  if (!socket_.recv(topic, zmq::recv_flags::dontwait)) return std::nullopt;
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
  return Decode(topic.to_string(), payload.to_string(), frames);
}

std::optional<Event> Subscriber::Decode(const std::string& topic, const std::string& payload,
                                        size_t frames) {
  auto skip = [&](const std::string& why) -> std::optional<Event> {
    ++skipped_;
    if (options_.on_skip) options_.on_skip(why);
    return std::nullopt;
  };
  if (frames != 2) {
    return skip("an event of " + std::to_string(frames) + " frames on '" + topic + "'");
  }
  auto event = DecodeEvent(topic, payload);
  if (!event.ok()) return skip("an undecodable event on '" + topic + "': " + event.error());
  return std::move(*event);
}

Result<std::optional<Event>> Subscriber::Next(milliseconds timeout, int stop_fd) {
  while (!early_.empty()) {
    auto [topic, payload] = TakeEarly();
    if (std::optional<Event> e = Decode(topic, payload, 2)) return e;
  }
  const bool forever = timeout.count() < 0;
  const auto deadline = Clock::now() + (forever ? milliseconds(0) : timeout);
  try {
    for (;;) {
      zmq::pollitem_t items[] = {{socket_.handle(), 0, ZMQ_POLLIN, 0},
                                 {nullptr, stop_fd, ZMQ_POLLIN, 0}};
      const int n = stop_fd >= 0 ? 2 : 1;
      if (!PollFor(items, n, forever ? milliseconds(-1) : Left(deadline), options_.interrupted)) {
        return std::optional<Event>();
      }
      if (n == 2 && (items[1].revents & ZMQ_POLLIN) != 0) return std::optional<Event>();
      if ((items[0].revents & ZMQ_POLLIN) == 0) continue;
      if (std::optional<Event> e = ReadOne()) return e;
      if (!forever && Left(deadline).count() == 0) return std::optional<Event>();
    }
  } catch (const zmq::error_t& e) {
    return Status::Error(std::string("events socket: ") + e.what());
  }
}

bool Subscriber::NextRaw(zmq::message_t* topic, zmq::message_t* payload, milliseconds timeout) {
  if (!early_.empty()) {
    auto [t, p] = TakeEarly();
    *topic = zmq::message_t(t);
    *payload = zmq::message_t(p);
    return true;
  }
  return ReadRaw(topic, payload, timeout);
}

bool Subscriber::ReadRaw(zmq::message_t* topic, zmq::message_t* payload, milliseconds timeout) {
  try {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    if (!socket_.recv(*topic, zmq::recv_flags::dontwait)) {
      if (!PollFor(&item, 1, timeout, options_.interrupted)) return false;
      if (!socket_.recv(*topic, zmq::recv_flags::dontwait)) return false;
    }
    if (!topic->more()) return false;  // not an event
    return socket_.recv(*payload).has_value();
  } catch (const zmq::error_t&) {
    return false;
  }
}

}  // namespace zsup::client
