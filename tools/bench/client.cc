#include "tools/bench/client.h"

#include <cstdint>

#include "tools/bench/process.h"

namespace zsup::bench {

namespace {

client::ControlOptions BenchControlOptions() {
  client::ControlOptions o;
  o.timeout = milliseconds(30000);
  o.fast_reconnect = true;  // finds a restarted zsupd within milliseconds
  o.interrupted = [] { return Interrupted(); };
  return o;
}

client::SubscriberOptions BenchSubscriberOptions() {
  client::SubscriberOptions o;
  o.rcvhwm = 0;  // never drop on our side: losses are zsupd's
  o.rcvbuf = 4 << 20;
  o.fast_reconnect = true;
  o.interrupted = [] { return Interrupted(); };
  return o;
}

}  // namespace

Control::Control(zmq::context_t& context, std::string endpoint)
    : client_(context, std::move(endpoint), BenchControlOptions()) {}

Result<std::string> Control::Call(std::string_view request, milliseconds timeout) {
  auto reply = client_.Call(request, timeout);
  if (!reply.ok() && Interrupted()) return InterruptedError();
  return reply;
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
                                                const std::string& endpoint, Control& control,
                                                const std::vector<std::string>& prefixes) {
  auto sub = client::Subscriber::Join(context, endpoint, control.client(), prefixes,
                                      milliseconds(10000), BenchSubscriberOptions());
  if (!sub.ok()) return sub.status();
  return std::unique_ptr<Events>(new Events(std::move(*sub)));
}

Result<std::unique_ptr<Events>> Events::ConnectEarly(zmq::context_t& context,
                                                     const std::string& endpoint,
                                                     const std::vector<std::string>& prefixes) {
  auto sub = client::Subscriber::Connect(context, endpoint, prefixes, BenchSubscriberOptions());
  if (!sub.ok()) return sub.status();
  return std::unique_ptr<Events>(new Events(std::move(*sub)));
}

bool Events::NextRaw(zmq::message_t* topic, zmq::message_t* payload, milliseconds timeout) {
  return sub_->NextRaw(topic, payload, timeout);
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

  bool ArraySize(uint32_t* n) {
    uint8_t b = 0;
    uint64_t v = 0;
    if (!Byte(&b)) return false;
    if ((b & 0xf0) == 0x90) {
      *n = b & 0x0f;
      return true;
    }
    if ((b != 0xdc && b != 0xdd) || !BigEndian(b == 0xdc ? 2 : 4, &v)) return false;
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

std::optional<std::pair<int64_t, int64_t>> BatchSeqAndCount(std::string_view payload) {
  Cursor c(payload);
  uint32_t n = 0;
  std::optional<int64_t> seq;
  if (!c.MapSize(&n)) return std::nullopt;
  for (uint32_t i = 0; i < n; ++i) {
    std::string_view key;
    if (!c.String(&key)) return std::nullopt;
    if (key == "msgs") {
      uint32_t count = 0;
      if (!seq || !c.ArraySize(&count)) return std::nullopt;
      return std::pair<int64_t, int64_t>{*seq, count};
    }
    int64_t v = 0;
    bool is_int = false;
    if (!c.Scalar(&v, &is_int)) return std::nullopt;
    if (key == "seq" && is_int) seq = v;
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
