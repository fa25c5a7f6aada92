// Events published on zsupd's PUB socket <-> msgpack.
#include <cstring>
#include <span>
#include <string>
#include <variant>

#include "broker/codec.h"
#include "broker/msgpack_reader.h"

namespace zsup {
namespace {

void PackOptionalInt(Packer& pk, const std::optional<int64_t>& v) {
  v ? pk.pack(*v) : pk.pack_nil();
}

template <typename T>
Result<Event> Make(EventKind kind, Result<T> payload) {
  if (!payload.ok()) return payload.status();
  return Event{kind, std::move(*payload)};
}

Result<NodeStatusEvent> ReadNodeStatusEvent(mp::MapReader& r) {
  NodeStatusEvent e;
  Status s = r.Required("node", &e.node);
  if (s.ok()) s = r.Required("pid", &e.pid);
  if (s.ok()) s = r.Required("restarts", &e.restarts);
  if (s.ok()) s = r.Required("at", &e.at);
  if (!s.ok()) return s;
  return e;
}

Result<NodeExitEvent> ReadNodeExitEvent(mp::MapReader& r) {
  NodeExitEvent e;
  Status s = r.Required("node", &e.node);
  if (s.ok()) s = r.Required("pid", &e.pid);
  if (s.ok()) s = r.Optional("code", &e.code);
  if (s.ok()) s = r.Optional("signal", &e.signal);
  if (s.ok()) s = r.Required("commanded", &e.commanded);
  if (s.ok()) s = r.Required("at", &e.at);
  if (!s.ok()) return s;
  return e;
}

Result<NodeFailedEvent> ReadNodeFailedEvent(mp::MapReader& r) {
  NodeFailedEvent e;
  Status s = r.Required("node", &e.node);
  if (s.ok()) s = r.Required("reason", &e.reason);
  if (s.ok()) s = r.Required("at", &e.at);
  if (!s.ok()) return s;
  return e;
}

Result<NodeReadyEvent> ReadNodeReadyEvent(mp::MapReader& r) {
  NodeReadyEvent e;
  Status s = r.Required("node", &e.node);
  if (s.ok()) s = r.Required("pid", &e.pid);
  if (s.ok()) s = r.Required("at", &e.at);
  if (!s.ok()) return s;
  return e;
}

Result<PongEvent> ReadPongEvent(mp::MapReader& r) {
  PongEvent e;
  Status s = r.Required("node", &e.node);
  if (s.ok()) s = r.Required("at", &e.at);
  if (!s.ok()) return s;
  return e;
}

Result<OutputEvent> ReadOutputEvent(mp::MapReader& r) {
  OutputEvent e;
  Status s = r.Required("node", &e.node);
  if (s.ok()) s = r.Required("msg", &e.msg);
  if (s.ok()) s = r.Required("seq", &e.seq);
  if (s.ok()) s = r.Required("at", &e.at);
  if (!s.ok()) return s;
  return e;
}

}  // namespace

std::string_view EventKindName(EventKind kind) {
  switch (kind) {
    case EventKind::kNodeStatus: return "node_status";
    case EventKind::kNodeExit: return "node_exit";
    case EventKind::kStdout: return "stdout";
    case EventKind::kStderr: return "stderr";
    case EventKind::kNodeFailed: return "node_failed";
    case EventKind::kNodeReady: return "node_ready";
    case EventKind::kPong: return "pong";
  }
  return "?";
}

std::string EventTopic(EventKind kind, std::string_view node) {
  std::string topic(EventKindName(kind));
  topic += '/';
  topic += node;
  return topic;
}

std::string EncodeNodeStatusEvent(const NodeStatusEvent& e) {
  msgpack::sbuffer buf;
  Packer pk(buf);
  pk.pack_map(4);
  pk.pack("node"), pk.pack(e.node), pk.pack("pid"), pk.pack(e.pid);
  pk.pack("restarts"), pk.pack(e.restarts), pk.pack("at"), pk.pack(e.at);
  return FrameBytes(buf);
}

std::string EncodeNodeExitEvent(const NodeExitEvent& e) {
  msgpack::sbuffer buf;
  Packer pk(buf);
  pk.pack_map(6);
  pk.pack("node"), pk.pack(e.node), pk.pack("pid"), pk.pack(e.pid);
  pk.pack("code"), PackOptionalInt(pk, e.code);
  pk.pack("signal"), PackOptionalInt(pk, e.signal);
  pk.pack("commanded"), pk.pack(e.commanded), pk.pack("at"), pk.pack(e.at);
  return FrameBytes(buf);
}

std::string EncodeNodeFailedEvent(const NodeFailedEvent& e) {
  msgpack::sbuffer buf;
  Packer pk(buf);
  pk.pack_map(3);
  pk.pack("node"), pk.pack(e.node), pk.pack("reason"), pk.pack(e.reason);
  pk.pack("at"), pk.pack(e.at);
  return FrameBytes(buf);
}

std::string EncodeNodeReadyEvent(const NodeReadyEvent& e) {
  msgpack::sbuffer buf;
  Packer pk(buf);
  pk.pack_map(3);
  pk.pack("node"), pk.pack(e.node), pk.pack("pid"), pk.pack(e.pid);
  pk.pack("at"), pk.pack(e.at);
  return FrameBytes(buf);
}

std::string EncodePongEvent(const PongEvent& e) {
  msgpack::sbuffer buf;
  Packer pk(buf);
  pk.pack_map(2);
  pk.pack("node"), pk.pack(e.node), pk.pack("at"), pk.pack(e.at);
  return FrameBytes(buf);
}

namespace {

// msgpack streams the compiler can inline (sbuffer::write is an out-of-line
// call per key and value): one only counts, one writes where it is told.
struct ByteCounter {
  size_t size = 0;
  void write(const char*, size_t n) { size += n; }
};
struct ByteWriter {
  char* next;
  void write(const char* data, size_t n) {
    std::memcpy(next, data, n);
    next += n;
  }
};

template <typename Stream>
void PackOutputEvent(Stream& stream, std::string_view node, std::string_view msg, int64_t seq,
                     double at) {
  msgpack::packer<Stream> pk(stream);
  pk.pack_map(4);
  pk.pack("node"), pk.pack(node), pk.pack("msg"), pk.pack(msg);
  pk.pack("seq"), pk.pack(seq), pk.pack("at"), pk.pack(at);
}

template <typename Stream>
void PackOutputBatch(Stream& stream, std::string_view node, std::span<const std::string_view> msgs,
                     int64_t seq, double at) {
  msgpack::packer<Stream> pk(stream);
  pk.pack_map(4);
  pk.pack("node"), pk.pack(node), pk.pack("seq"), pk.pack(seq), pk.pack("at"), pk.pack(at);
  pk.pack("msgs"), pk.pack_array(static_cast<uint32_t>(msgs.size()));
  for (std::string_view msg : msgs) pk.pack(msg);
}

}  // namespace

size_t OutputEventSize(std::string_view node, std::string_view msg, int64_t seq, double at) {
  ByteCounter counter;
  PackOutputEvent(counter, node, msg, seq, at);
  return counter.size;
}

void WriteOutputEvent(char* out, std::string_view node, std::string_view msg, int64_t seq,
                      double at) {
  ByteWriter writer{out};
  PackOutputEvent(writer, node, msg, seq, at);
}

std::string EncodeOutputEvent(const OutputEvent& e) {
  std::string bytes(OutputEventSize(e.node, e.msg, e.seq, e.at), '\0');
  WriteOutputEvent(bytes.data(), e.node, e.msg, e.seq, e.at);
  return bytes;
}

size_t OutputBatchSize(std::string_view node, std::span<const std::string_view> msgs, int64_t seq,
                       double at) {
  ByteCounter counter;
  PackOutputBatch(counter, node, msgs, seq, at);
  return counter.size;
}

void WriteOutputBatch(char* out, std::string_view node, std::span<const std::string_view> msgs,
                      int64_t seq, double at) {
  ByteWriter writer{out};
  PackOutputBatch(writer, node, msgs, seq, at);
}

std::string EncodeOutputBatch(const OutputBatchEvent& b) {
  const std::vector<std::string_view> msgs(b.msgs.begin(), b.msgs.end());
  std::string bytes(OutputBatchSize(b.node, msgs, b.seq, b.at), '\0');
  WriteOutputBatch(bytes.data(), b.node, msgs, b.seq, b.at);
  return bytes;
}

Result<OutputBatchEvent> DecodeOutputBatch(std::string_view topic, std::string_view payload,
                                           EventKind* kind) {
  const size_t slash = topic.find('/');
  const std::string_view kind_name = topic.substr(0, slash);
  if (slash == std::string_view::npos || (kind_name != "stdout" && kind_name != "stderr")) {
    return Status::Error("batch topic must be stdout/<node> or stderr/<node>, not '" +
                         std::string(topic.substr(0, 64)) + "'");
  }
  auto handle = mp::Unpack(payload);
  if (!handle.ok()) return handle.status();
  auto r = mp::MapReader::Open(handle->get(), "", "batch");
  if (!r.ok()) return r.status();
  OutputBatchEvent b;
  Status s = r->Required("node", &b.node);
  if (s.ok()) s = r->Required("seq", &b.seq);
  if (s.ok()) s = r->Required("at", &b.at);
  if (s.ok()) s = r->Required("msgs", &b.msgs);
  if (!s.ok()) return s;
  if (b.msgs.empty()) return Status::Error("msgs: a batch holds at least one line");
  if (b.node != topic.substr(slash + 1)) {
    return Status::Error("batch topic names node '" + std::string(topic.substr(slash + 1)) +
                         "' but its payload '" + b.node + "'");
  }
  if (kind != nullptr) *kind = kind_name == "stdout" ? EventKind::kStdout : EventKind::kStderr;
  return b;
}

const std::string& NodeOf(const Event& event) {
  return std::visit([](const auto& payload) -> const std::string& { return payload.node; },
                    event.payload);
}

Result<Event> DecodeEvent(std::string_view topic, std::string_view payload) {
  const size_t slash = topic.find('/');
  if (slash == std::string_view::npos) {
    return Status::Error("event topic has no '/': expected <kind>/<node>");
  }
  const std::string_view kind_name = topic.substr(0, slash);
  const std::string_view node = topic.substr(slash + 1);
  auto handle = mp::Unpack(payload);
  if (!handle.ok()) return handle.status();
  auto r = mp::MapReader::Open(handle->get(), "", "event");
  if (!r.ok()) return r.status();
  Result<Event> event = Status::Error("unknown event kind '" + std::string(kind_name) + "'");
  if (kind_name == "node_status") {
    event = Make(EventKind::kNodeStatus, ReadNodeStatusEvent(*r));
  } else if (kind_name == "node_exit") {
    event = Make(EventKind::kNodeExit, ReadNodeExitEvent(*r));
  } else if (kind_name == "stdout") {
    event = Make(EventKind::kStdout, ReadOutputEvent(*r));
  } else if (kind_name == "stderr") {
    event = Make(EventKind::kStderr, ReadOutputEvent(*r));
  } else if (kind_name == "node_failed") {
    event = Make(EventKind::kNodeFailed, ReadNodeFailedEvent(*r));
  } else if (kind_name == "node_ready") {
    event = Make(EventKind::kNodeReady, ReadNodeReadyEvent(*r));
  } else if (kind_name == "pong") {
    event = Make(EventKind::kPong, ReadPongEvent(*r));
  }
  if (!event.ok()) return event;
  const std::string& payload_node =
      std::visit([](const auto& e) -> const std::string& { return e.node; }, event->payload);
  if (payload_node != node) {
    return Status::Error("event topic names node '" + std::string(node) + "' but its payload '" +
                         payload_node + "'");
  }
  return event;
}

}  // namespace zsup
