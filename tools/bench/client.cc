#include "tools/bench/client.h"

#include <atomic>
#include <cstdint>
#include <thread>

#include "tools/bench/process.h"

namespace zsup::bench {

Control::Control(zmq::context_t& context, std::string endpoint)
    : context_(context), endpoint_(std::move(endpoint)) {}

Status Control::Open() {
  try {
    socket_.emplace(context_, zmq::socket_type::req);
    socket_->set(zmq::sockopt::linger, 0);
    // After zsupd restarts, find the new one within milliseconds rather
    // than ZeroMQ's default 100 ms.
    socket_->set(zmq::sockopt::reconnect_ivl, 2);
    socket_->set(zmq::sockopt::reconnect_ivl_max, 2);
    socket_->connect(endpoint_);
    return Status::Ok();
  } catch (const zmq::error_t& e) {
    socket_.reset();
    return Status::Error("connect " + endpoint_ + ": " + e.what());
  }
}

Result<std::string> Control::Call(std::string_view request, milliseconds timeout) {
  if (!socket_) {
    Status s = Open();
    if (!s.ok()) return s;
  }
  try {
    socket_->send(zmq::const_buffer(request.data(), request.size()));
    zmq::pollitem_t item{socket_->handle(), 0, ZMQ_POLLIN, 0};
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (Interrupted()) break;
      auto left =
          std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      int n = 0;
      try {
        n = zmq::poll(&item, 1, left);
      } catch (const zmq::error_t& e) {
        if (e.num() == EINTR) continue;
        throw;
      }
      if (n <= 0) continue;
      zmq::message_t reply;
      if (socket_->recv(reply)) return reply.to_string();
    }
  } catch (const zmq::error_t& e) {
    socket_.reset();
    return Status::Error(std::string("control socket: ") + e.what());
  }
  socket_.reset();
  if (Interrupted()) return InterruptedError();
  return Status::Unreachable("no reply from zsupd within " + std::to_string(timeout.count()) +
                             " ms");
}

Status Control::Ping() {
  auto reply = Call(EncodeRequest(PingRequest{}));
  if (!reply.ok()) return reply.status();
  auto ping = DecodePingReply(*reply);
  return ping.ok() ? Status::Ok() : ping.status();
}

Status Control::Create(const NodeConfig& config) {
  auto reply = Call(EncodeRequest(CreateRequest{config}));
  return reply.ok() ? DecodeOkReply(*reply) : reply.status();
}

Status Control::Destroy(const std::string& node) {
  auto reply = Call(EncodeRequest(DestroyRequest{node}));
  return reply.ok() ? DecodeOkReply(*reply) : reply.status();
}

Result<ApplyReply> Control::Apply(const ApplyRequest& request) {
  auto reply = Call(EncodeRequest(request));
  if (!reply.ok()) return reply.status();
  return DecodeApplyReply(*reply);
}

Result<StatusReport> Control::GetStatus(const std::string& node) {
  auto reply = Call(EncodeRequest(StatusRequest{node}));
  if (!reply.ok()) return reply.status();
  return DecodeStatusReply(*reply);
}

Result<std::unique_ptr<Events>> Events::Connect(zmq::context_t& context,
                                                const std::string& endpoint,
                                                const std::vector<std::string>& prefixes) {
  static std::atomic<int> counter{0};
  try {
    zmq::socket_t socket(context, zmq::socket_type::sub);
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::rcvhwm, 0);  // never drop on our side: losses are zsupd's
    socket.set(zmq::sockopt::rcvbuf, 4 << 20);
    const std::string monitor = "inproc://bench-sub-monitor-" + std::to_string(counter++);
    if (zmq_socket_monitor(socket.handle(), monitor.c_str(), ZMQ_EVENT_CONNECTED) != 0) {
      return Status::Error("zmq_socket_monitor failed");
    }
    zmq::socket_t events(context, zmq::socket_type::pair);
    events.set(zmq::sockopt::linger, 0);
    events.connect(monitor);
    for (const std::string& p : prefixes) socket.set(zmq::sockopt::subscribe, p);
    socket.connect(endpoint);
    zmq::pollitem_t item{events.handle(), 0, ZMQ_POLLIN, 0};
    bool connected = false;
    for (int i = 0; i < 100 && !connected && !Interrupted(); ++i) {
      try {
        connected = zmq::poll(&item, 1, milliseconds(100)) > 0;
      } catch (const zmq::error_t& e) {
        if (e.num() != EINTR) throw;
      }
    }
    zmq_socket_monitor(socket.handle(), nullptr, 0);
    if (!connected) return Status::Error("events subscriber did not connect to " + endpoint);
    // The subscription travels after the connection; give it a moment to
    // reach zsupd's PUB socket (there is no acknowledgement to wait for).
    std::this_thread::sleep_for(milliseconds(50));
    return std::unique_ptr<Events>(new Events(std::move(socket)));
  } catch (const zmq::error_t& e) {
    return Status::Error("events socket " + endpoint + ": " + e.what());
  }
}

Result<std::unique_ptr<Events>> Events::ConnectEarly(zmq::context_t& context,
                                                     const std::string& endpoint,
                                                     const std::vector<std::string>& prefixes) {
  try {
    zmq::socket_t socket(context, zmq::socket_type::sub);
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::rcvhwm, 0);
    socket.set(zmq::sockopt::reconnect_ivl, 2);
    socket.set(zmq::sockopt::reconnect_ivl_max, 2);
    for (const std::string& p : prefixes) socket.set(zmq::sockopt::subscribe, p);
    socket.connect(endpoint);
    return std::unique_ptr<Events>(new Events(std::move(socket)));
  } catch (const zmq::error_t& e) {
    return Status::Error("events socket " + endpoint + ": " + e.what());
  }
}

bool Events::NextRaw(zmq::message_t* topic, zmq::message_t* payload, milliseconds timeout) {
  try {
    if (!socket_.recv(*topic, zmq::recv_flags::dontwait)) {
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      if (Interrupted() || zmq::poll(&item, 1, timeout) <= 0) return false;
      if (!socket_.recv(*topic, zmq::recv_flags::dontwait)) return false;
    }
    if (!topic->more()) return NextRaw(topic, payload, timeout);  // not an event: skip
    return socket_.recv(*payload).has_value();
  } catch (const zmq::error_t&) {
    return false;  // EINTR (interrupt) or a closed context
  }
}

std::optional<Event> Events::Next(milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  zmq::message_t topic, payload;
  for (;;) {
    auto left =
        std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() < 0 || !NextRaw(&topic, &payload, left)) return std::nullopt;
    auto event = DecodeEvent(topic.to_string_view(), payload.to_string_view());
    if (event.ok()) return std::move(*event);
    ++undecodable_;
  }
}

std::optional<Event> Events::WaitFor(const std::function<bool(const Event&)>& match,
                                     milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left =
        std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() < 0) return std::nullopt;
    auto e = Next(left);
    if (!e) return std::nullopt;
    if (match(*e)) return e;
  }
}

namespace {

// Just enough msgpack to find one integer field of a flat map.
class Cursor {
 public:
  explicit Cursor(std::string_view bytes)
      : p_(reinterpret_cast<const uint8_t*>(bytes.data())), end_(p_ + bytes.size()) {}

  bool MapSize(uint32_t* n) {
    uint8_t b = 0;
    uint64_t v = 0;
    if (!Byte(&b)) return false;
    if ((b & 0xf0) == 0x80) {
      *n = b & 0x0f;
      return true;
    }
    if ((b != 0xde && b != 0xdf) || !BigEndian(b == 0xde ? 2 : 4, &v)) return false;
    *n = static_cast<uint32_t>(v);
    return true;
  }

  bool String(std::string_view* s) {
    uint8_t b = 0;
    uint32_t len = 0;
    if (!Byte(&b) || !StringLength(b, &len) || static_cast<size_t>(end_ - p_) < len) return false;
    *s = std::string_view(reinterpret_cast<const char*>(p_), len);
    p_ += len;
    return true;
  }

  // Reads an integer into *v (*is_int true) or skips any other scalar.
  bool Scalar(int64_t* v, bool* is_int) {
    struct IntType {
      int bytes;
      uint8_t type;
      bool is_signed;
    };
    static constexpr IntType kIntTypes[] = {{1, 0xcc, false}, {2, 0xcd, false}, {4, 0xce, false},
                                            {8, 0xcf, false}, {1, 0xd0, true},  {2, 0xd1, true},
                                            {4, 0xd2, true},  {8, 0xd3, true}};
    uint8_t b = 0;
    uint64_t raw = 0;
    uint32_t len = 0;
    if (!Byte(&b)) return false;
    *is_int = true;
    if (b <= 0x7f || b >= 0xe0) {  // positive and negative fixint
      *v = b <= 0x7f ? int64_t{b} : int64_t{b} - 256;
      return true;
    }
    for (const IntType& t : kIntTypes) {
      if (t.type != b) continue;
      if (!BigEndian(t.bytes, &raw)) return false;
      const int shift = 64 - 8 * t.bytes;
      *v = t.is_signed && shift > 0 ? static_cast<int64_t>(raw << shift) >> shift
                                    : static_cast<int64_t>(raw);
      return true;
    }
    *is_int = false;
    if (b == 0xc0 || b == 0xc2 || b == 0xc3) return true;  // nil, false, true
    if (b == 0xca || b == 0xcb) return BigEndian(b == 0xca ? 4 : 8, &raw);
    if (!StringLength(b, &len) || static_cast<size_t>(end_ - p_) < len) return false;
    p_ += len;
    return true;
  }

 private:
  bool Byte(uint8_t* b) {
    if (p_ >= end_) return false;
    *b = *p_++;
    return true;
  }
  bool BigEndian(int bytes, uint64_t* v) {
    if (end_ - p_ < bytes) return false;
    *v = 0;
    for (int i = 0; i < bytes; ++i) *v = (*v << 8) | *p_++;
    return true;
  }
  // The length of a string whose type byte `b` was just read.
  bool StringLength(uint8_t b, uint32_t* len) {
    if ((b & 0xe0) == 0xa0) {
      *len = b & 0x1f;
      return true;
    }
    const int bytes = b == 0xd9 ? 1 : b == 0xda ? 2 : b == 0xdb ? 4 : 0;
    uint64_t v = 0;
    if (bytes == 0 || !BigEndian(bytes, &v)) return false;
    *len = static_cast<uint32_t>(v);
    return true;
  }

  const uint8_t* p_;
  const uint8_t* end_;
};

}  // namespace

std::optional<int64_t> OutputSeq(std::string_view payload) {
  Cursor c(payload);
  uint32_t n = 0;
  if (!c.MapSize(&n)) return std::nullopt;
  for (uint32_t i = 0; i < n; ++i) {
    std::string_view key;
    int64_t v = 0;
    bool is_int = false;
    if (!c.String(&key) || !c.Scalar(&v, &is_int)) return std::nullopt;
    if (key == "seq") return is_int ? std::optional<int64_t>(v) : std::nullopt;
  }
  return std::nullopt;
}

NodeConfig TestNodeConfig(const std::string& test_node, const std::string& name,
                          std::vector<std::string> args) {
  NodeConfig c;
  c.name = name;
  c.command = {test_node};
  c.command.insert(c.command.end(), args.begin(), args.end());
  return c;
}

}  // namespace zsup::bench
