#include "broker/stem_protocol.h"

#include <cstdio>

#include "broker/codec.h"
#include "broker/msgpack_reader.h"

namespace zsup::stem {
namespace {

// msgpack output straight into a std::string.
struct StringBuffer {
  std::string data;
  void write(const char* p, size_t n) { data.append(p, n); }
};
using StringPacker = msgpack::packer<StringBuffer>;

template <typename T>
void PackOptional(StringPacker& pk, const std::optional<T>& v) {
  v ? pk.pack(*v) : pk.pack_nil();
}

// A NodeConfig as an embedded msgpack blob, packed by the public codec.
void PackConfigBlob(StringPacker& pk, const NodeConfig& c) {
  msgpack::sbuffer config;
  Packer cpk(config);
  PackNodeConfig(cpk, c);
  pk.pack_bin(static_cast<uint32_t>(config.size()));
  pk.pack_bin_body(config.data(), static_cast<uint32_t>(config.size()));
}

void PackExitInfo(StringPacker& pk, const std::optional<ExitInfo>& e) {
  if (!e) {
    pk.pack_nil();
    return;
  }
  pk.pack_map(4);
  pk.pack("code"), PackOptional(pk, e->code);
  pk.pack("signal"), PackOptional(pk, e->signal);
  pk.pack("at"), pk.pack(e->at);
  pk.pack("commanded"), pk.pack(e->commanded);
}

// Each encoder writes the map header and "t"; fields follow.
void Header(StringPacker& pk, std::string_view type, uint32_t fields) {
  pk.pack_map(fields + 1);
  pk.pack("t"), pk.pack(type);
}

struct Encoder {
  StringPacker& pk;
  void operator()(const Hello& m) {
    Header(pk, "hello", 3);
    pk.pack("version"), pk.pack(m.version);
    pk.pack("supervisor_pid"), pk.pack(m.supervisor_pid);
    pk.pack("settings"), pk.pack_map(4);
    pk.pack("zeek_path"), pk.pack(m.settings.zeek_path);
    pk.pack("stop_timeout"), pk.pack(m.settings.stop_timeout);
    pk.pack("revival_cap"), pk.pack(m.settings.revival_cap);
    pk.pack("grace"), pk.pack(m.settings.grace);
  }
  void operator()(const CreateNode& m) {
    Header(pk, "create", 3);
    pk.pack("config"), PackConfigBlob(pk, m.config);
    pk.pack("fingerprint"), pk.pack(m.fingerprint);
    pk.pack("restarts"), pk.pack(m.restarts);
  }
  void operator()(const DestroyNode& m) { Header(pk, "destroy", 1), pk.pack("name"), pk.pack(m.name); }
  void operator()(const RestartNode& m) { Header(pk, "restart", 1), pk.pack("name"), pk.pack(m.name); }
  void operator()(const ReopenNode& m) { Header(pk, "reopen", 1), pk.pack("name"), pk.pack(m.name); }
  void operator()(const Shutdown&) { Header(pk, "shutdown", 0); }
  void operator()(const Heartbeat&) { Header(pk, "heartbeat", 0); }
  void operator()(const OutputAck& m) { Header(pk, "ack", 1), pk.pack("through"), pk.pack(m.through); }
  void operator()(const Welcome& m) {
    Header(pk, "welcome", 3);
    pk.pack("version"), pk.pack(m.version);
    pk.pack("stem_pid"), pk.pack(m.stem_pid);
    pk.pack("nodes"), pk.pack_array(static_cast<uint32_t>(m.nodes.size()));
    for (const NodeReport& n : m.nodes) {
      pk.pack_map(static_cast<uint32_t>(7 + n.config.has_value() + n.ready.has_value() +
                                        n.status_text.has_value()));
      if (n.ready) pk.pack("ready"), pk.pack(*n.ready);
      if (n.status_text) pk.pack("status_text"), pk.pack(*n.status_text);
      if (n.config) pk.pack("config"), PackConfigBlob(pk, *n.config);
      pk.pack("name"), pk.pack(n.name);
      pk.pack("fingerprint"), pk.pack(n.fingerprint);
      pk.pack("state"), pk.pack(StateName(n.state));
      pk.pack("pid"), PackOptional(pk, n.pid);
      pk.pack("restarts"), pk.pack(n.restarts);
      pk.pack("started_at"), PackOptional(pk, n.started_at);
      pk.pack("last_exit"), PackExitInfo(pk, n.last_exit);
    }
  }
  void operator()(const NodeStarted& m) {
    Header(pk, "started", 4);
    pk.pack("name"), pk.pack(m.name), pk.pack("pid"), pk.pack(m.pid);
    pk.pack("restarts"), pk.pack(m.restarts), pk.pack("at"), pk.pack(m.at);
  }
  void operator()(const NodeExited& m) {
    Header(pk, "exited", m.reason ? 9 : 8);
    pk.pack("name"), pk.pack(m.name), pk.pack("pid"), pk.pack(m.pid);
    pk.pack("code"), PackOptional(pk, m.code);
    pk.pack("signal"), PackOptional(pk, m.signal);
    pk.pack("commanded"), pk.pack(m.commanded), pk.pack("at"), pk.pack(m.at);
    pk.pack("next"), pk.pack(StateName(m.next));
    pk.pack("restarts"), pk.pack(m.restarts);
    if (m.reason) pk.pack("reason"), pk.pack(*m.reason);
  }
  void operator()(const NodeOutput&) {}  // see Encode()
  void operator()(const NodeError& m) {
    Header(pk, "error", 2);
    pk.pack("name"), pk.pack(m.name), pk.pack("message"), pk.pack(m.message);
  }
  void operator()(const NodeUpdate& m) {
    Header(pk, "update",
           static_cast<uint32_t>(6 + m.ready.has_value() + m.at.has_value() +
                                 m.status_text.has_value()));
    pk.pack("name"), pk.pack(m.name), pk.pack("state"), pk.pack(StateName(m.state));
    pk.pack("pid"), PackOptional(pk, m.pid), pk.pack("restarts"), pk.pack(m.restarts);
    pk.pack("next_start_at"), PackOptional(pk, m.next_start_at), pk.pack("gone"), pk.pack(m.gone);
    if (m.ready) pk.pack("ready"), pk.pack(*m.ready);
    if (m.at) pk.pack("at"), pk.pack(*m.at);
    if (m.status_text) pk.pack("status_text"), pk.pack(*m.status_text);
  }
  void operator()(const StemLog& m) { Header(pk, "log", 1), pk.pack("line"), pk.pack(m.line); }
  void operator()(const Bye&) { Header(pk, "bye", 0); }
  void operator()(const ByeAck&) { Header(pk, "bye_ack", 0); }
  void operator()(const UnknownMessage& m) { Header(pk, m.type, 0); }
  void operator()(const RejectedCreate&) { Header(pk, "rejected_create", 0); }
};

Result<NodeState> ReadState(mp::MapReader& r, std::string_view key) {
  std::string text;
  Status s = r.Required(key, &text);
  if (!s.ok()) return s;
  auto state = ParseState(text);
  if (!state) return Status::Error(r.FieldPath(key) + ": unknown state '" + text + "'");
  return *state;
}

Result<std::optional<ExitInfo>> ReadExitInfo(mp::MapReader& r, std::string_view key) {
  const msgpack::object* o = r.Take(key);
  if (o == nullptr) return std::optional<ExitInfo>();
  auto er = mp::MapReader::Open(*o, r.FieldPath(key), r.FieldPath(key));
  if (!er.ok()) return er.status();
  ExitInfo e;
  Status s = er->Optional("code", &e.code);
  if (s.ok()) s = er->Optional("signal", &e.signal);
  if (s.ok()) s = er->Required("at", &e.at);
  if (s.ok()) s = er->Default("commanded", &e.commanded);  // absent from older stems
  if (!s.ok()) return s;
  return std::optional<ExitInfo>(e);
}

Result<Message> ReadHello(mp::MapReader& r) {
  Hello m;
  Status s = r.Required("version", &m.version);
  if (s.ok()) s = r.Required("supervisor_pid", &m.supervisor_pid);
  if (!s.ok()) return s;
  if (const msgpack::object* o = r.Take("settings")) {
    auto sr = mp::MapReader::Open(*o, "settings", "settings");
    if (!sr.ok()) return sr.status();
    s = sr->Default("zeek_path", &m.settings.zeek_path);
    if (s.ok()) s = sr->Default("stop_timeout", &m.settings.stop_timeout);
    if (s.ok()) s = sr->Default("revival_cap", &m.settings.revival_cap);
    if (s.ok()) s = sr->Default("grace", &m.settings.grace);
    if (!s.ok()) return s;
  }
  return Message(m);
}

// The "name" of a msgpack map, whatever else it holds.
std::optional<std::string> PeekName(std::string_view blob) {
  auto unpacked = mp::Unpack(blob);
  if (!unpacked.ok()) return std::nullopt;
  const msgpack::object& o = unpacked->get();
  if (o.type != msgpack::type::MAP) return std::nullopt;
  for (uint32_t i = 0; i < o.via.map.size; ++i) {
    const msgpack::object_kv& kv = o.via.map.ptr[i];
    if (kv.key.type == msgpack::type::STR && kv.key.as<std::string_view>() == "name" &&
        kv.val.type == msgpack::type::STR && kv.val.via.str.size > 0) {
      return kv.val.as<std::string>();
    }
  }
  return std::nullopt;
}

Result<Message> ReadCreate(mp::MapReader& r) {
  CreateNode m;
  const msgpack::object* o = r.Take("config");
  if (o == nullptr || o->type != msgpack::type::BIN) {
    return Status::Error("create: config must be an embedded msgpack blob");
  }
  const std::string_view blob(o->via.bin.ptr, o->via.bin.size);
  auto config = DecodeNodeConfig(blob);
  if (!config.ok()) {
    // Rejected for one node, if the blob at least names it.
    if (std::optional<std::string> name = PeekName(blob)) {
      return Message(RejectedCreate{*name, config.error()});
    }
    return config.status();
  }
  m.config = std::move(*config);
  Status s = r.Required("fingerprint", &m.fingerprint);
  if (s.ok()) s = r.Default("restarts", &m.restarts);
  if (!s.ok()) return s;
  return Message(std::move(m));
}

Result<Message> ReadWelcome(mp::MapReader& r) {
  Welcome m;
  Status s = r.Required("version", &m.version);
  if (s.ok()) s = r.Required("stem_pid", &m.stem_pid);
  if (!s.ok()) return s;
  const msgpack::object* nodes = r.Take("nodes");
  if (nodes == nullptr || nodes->type != msgpack::type::ARRAY) {
    return Status::Error("welcome: nodes must be an array");
  }
  for (uint32_t i = 0; i < nodes->via.array.size; ++i) {
    const std::string path = "nodes[" + std::to_string(i) + "]";
    auto nr = mp::MapReader::Open(nodes->via.array.ptr[i], path, path);
    if (!nr.ok()) return nr.status();
    NodeReport n;
    s = nr->Required("name", &n.name);
    if (s.ok()) s = nr->Required("fingerprint", &n.fingerprint);
    if (s.ok()) s = nr->Optional("pid", &n.pid);
    if (s.ok()) s = nr->Required("restarts", &n.restarts);
    if (s.ok()) s = nr->Optional("started_at", &n.started_at);
    if (s.ok()) s = nr->Optional("ready", &n.ready);
    if (s.ok()) s = nr->Optional("status_text", &n.status_text);
    if (!s.ok()) return s;
    auto state = ReadState(*nr, "state");
    if (!state.ok()) return state.status();
    n.state = *state;
    auto exit = ReadExitInfo(*nr, "last_exit");
    if (!exit.ok()) return exit.status();
    n.last_exit = *exit;
    if (const msgpack::object* c = nr->Take("config"); c != nullptr && c->type == msgpack::type::BIN) {
      // A config this side cannot read (a newer stem's) is left out, not an error.
      auto config = DecodeNodeConfig(std::string_view(c->via.bin.ptr, c->via.bin.size));
      if (config.ok()) n.config = std::move(*config);
    }
    m.nodes.push_back(std::move(n));
  }
  return Message(std::move(m));
}

Result<Message> ReadExited(mp::MapReader& r) {
  NodeExited m;
  Status s = r.Required("name", &m.name);
  if (s.ok()) s = r.Required("pid", &m.pid);
  if (s.ok()) s = r.Optional("code", &m.code);
  if (s.ok()) s = r.Optional("signal", &m.signal);
  if (s.ok()) s = r.Required("commanded", &m.commanded);
  if (s.ok()) s = r.Required("at", &m.at);
  if (s.ok()) s = r.Default("restarts", &m.restarts);  // absent from older stems
  if (s.ok()) s = r.Optional("reason", &m.reason);
  if (!s.ok()) return s;
  auto next = ReadState(r, "next");
  if (!next.ok()) return next.status();
  m.next = *next;
  return Message(std::move(m));
}

Result<Message> ReadOutput(mp::MapReader& r) {
  NodeOutput m;
  std::string stream;
  Status s = r.Required("name", &m.name);
  if (s.ok()) s = r.Required("stream", &stream);
  if (s.ok()) s = r.Required("first_seq", &m.first_seq);
  if (s.ok()) s = r.Required("at", &m.at);
  if (s.ok()) s = r.Required("lines", &m.lines);
  if (s.ok()) s = r.Default("id", &m.id);  // absent from older stems
  if (!s.ok()) return s;
  auto parsed = ParseStream(stream);
  if (!parsed) return Status::Error("output: unknown stream '" + stream + "'");
  m.stream = *parsed;
  return Message(std::move(m));
}

template <typename T>
Result<Message> ReadName(mp::MapReader& r) {
  T m;
  Status s = r.Required("name", &m.name);
  if (!s.ok()) return s;
  return Message(std::move(m));
}

}  // namespace

std::optional<Result<OutputView>> DecodeOutputView(std::string_view frame) {
  // Strings reference the frame instead of being copied into the zone.
  auto reference = [](msgpack::type::object_type, std::size_t, void*) { return true; };
  const size_t n = frame.size();
  const msgpack::unpack_limit limit(n, n / 2, n, n, n, mp::kMaxDepth);
  msgpack::object_handle handle;
  try {
    size_t offset = 0;
    bool referenced = false;
    handle = msgpack::unpack(frame.data(), n, offset, referenced, reference, nullptr, limit);
    if (offset != n) return std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;  // Decode() will say what is wrong with it
  }
  const msgpack::object& root = handle.get();
  if (root.type != msgpack::type::MAP) return std::nullopt;
  auto str = [](const msgpack::object& o) { return std::string_view(o.via.str.ptr, o.via.str.size); };
  const msgpack::object* lines = nullptr;
  OutputView view;
  bool is_output = false, has_name = false, has_stream = false;
  for (uint32_t i = 0; i < root.via.map.size; ++i) {
    const msgpack::object& k = root.via.map.ptr[i].key;
    const msgpack::object& v = root.via.map.ptr[i].val;
    if (k.type != msgpack::type::STR) return std::nullopt;
    const std::string_view key = str(k);
    if (key == "t") {
      is_output = v.type == msgpack::type::STR && str(v) == "output";
    } else if (key == "name" && v.type == msgpack::type::STR) {
      view.name = str(v);
      has_name = true;
    } else if (key == "stream" && v.type == msgpack::type::STR) {
      auto stream = ParseStream(str(v));
      if (!stream) return std::nullopt;
      view.stream = *stream;
      has_stream = true;
    } else if (key == "first_seq" && v.type == msgpack::type::POSITIVE_INTEGER) {
      view.first_seq = static_cast<int64_t>(v.via.u64);
    } else if (key == "at" && (v.type == msgpack::type::FLOAT64 || v.type == msgpack::type::FLOAT32)) {
      view.at = v.via.f64;
    } else if (key == "lines" && v.type == msgpack::type::ARRAY) {
      lines = &v;
    } else if (key == "id" && v.type == msgpack::type::POSITIVE_INTEGER &&
               v.via.u64 <= static_cast<uint64_t>(INT64_MAX)) {
      view.id = static_cast<int64_t>(v.via.u64);
    }
  }
  if (!is_output) return std::nullopt;
  if (!has_name || !has_stream || lines == nullptr) {
    return Result<OutputView>(Status::Error("output: missing or mistyped name, stream or lines"));
  }
  view.lines.reserve(lines->via.array.size);
  for (uint32_t i = 0; i < lines->via.array.size; ++i) {
    const msgpack::object& l = lines->via.array.ptr[i];
    if (l.type != msgpack::type::STR) {
      return Result<OutputView>(Status::Error("output: lines must be strings"));
    }
    view.lines.push_back(str(l));
  }
  return Result<OutputView>(std::move(view));
}

std::string Encode(const Message& message) {
  if (const auto* m = std::get_if<NodeOutput>(&message)) {
    OutputEncoder e;
    e.Begin(m->name, m->stream, m->first_seq, m->at);
    for (const std::string& l : m->lines) e.Line(l);
    std::string frame = e.Finish();
    StampOutputId(frame, m->id);
    return frame;
  }
  StringBuffer buf;
  StringPacker pk(buf);
  std::visit(Encoder{pk}, message);
  return std::move(buf.data);
}

Result<Message> Decode(std::string_view frame) {
  auto handle = mp::Unpack(frame);
  if (!handle.ok()) return handle.status();
  auto r = mp::MapReader::Open(handle->get(), "", "stem message");
  if (!r.ok()) return r.status();
  std::string type;
  Status s = r->Required("t", &type);
  if (!s.ok()) return s;
  if (type == "hello") return ReadHello(*r);
  if (type == "create") return ReadCreate(*r);
  if (type == "destroy") return ReadName<DestroyNode>(*r);
  if (type == "restart") return ReadName<RestartNode>(*r);
  if (type == "reopen") return ReadName<ReopenNode>(*r);
  if (type == "shutdown") return Message(Shutdown{});
  if (type == "heartbeat") return Message(Heartbeat{});
  if (type == "ack") {
    OutputAck m;
    s = r->Required("through", &m.through);
    if (!s.ok()) return s;
    return Message(m);
  }
  if (type == "welcome") return ReadWelcome(*r);
  if (type == "exited") return ReadExited(*r);
  if (type == "output") return ReadOutput(*r);
  if (type == "bye") return Message(Bye{});
  if (type == "bye_ack") return Message(ByeAck{});
  if (type == "started") {
    NodeStarted m;
    s = r->Required("name", &m.name);
    if (s.ok()) s = r->Required("pid", &m.pid);
    if (s.ok()) s = r->Required("restarts", &m.restarts);
    if (s.ok()) s = r->Required("at", &m.at);
    if (!s.ok()) return s;
    return Message(std::move(m));
  }
  if (type == "update") {
    NodeUpdate m;
    s = r->Required("name", &m.name);
    if (s.ok()) s = r->Optional("pid", &m.pid);
    if (s.ok()) s = r->Required("restarts", &m.restarts);
    if (s.ok()) s = r->Optional("next_start_at", &m.next_start_at);
    if (s.ok()) s = r->Default("gone", &m.gone);
    if (s.ok()) s = r->Optional("ready", &m.ready);
    if (s.ok()) s = r->Optional("at", &m.at);
    if (s.ok()) s = r->Optional("status_text", &m.status_text);
    if (!s.ok()) return s;
    auto state = ReadState(*r, "state");
    if (!state.ok()) return state.status();
    m.state = *state;
    return Message(std::move(m));
  }
  if (type == "log") {
    StemLog m;
    s = r->Required("line", &m.line);
    if (!s.ok()) return s;
    return Message(std::move(m));
  }
  if (type == "error") {
    NodeError m;
    s = r->Required("name", &m.name);
    if (s.ok()) s = r->Required("message", &m.message);
    if (!s.ok()) return s;
    return Message(std::move(m));
  }
  return Message(UnknownMessage{type});
}

void OutputEncoder::Begin(std::string_view name, Stream stream, int64_t first_seq, double at) {
  StringBuffer sb;
  StringPacker pk(sb);
  Header(pk, "output", 6);
  // The id first, at a fixed offset, as a uint64 of fixed width.
  pk.pack("id");
  sb.data.append("\xcf\0\0\0\0\0\0\0\0", 9);
  pk.pack("name"), pk.pack(name);
  pk.pack("stream"), pk.pack(StreamName(stream));
  pk.pack("first_seq"), pk.pack(first_seq);
  pk.pack("at"), pk.pack(at);
  pk.pack("lines");
  buf_ = std::move(sb.data);
  // array32 with a placeholder count: valid msgpack for any number of lines.
  count_offset_ = buf_.size() + 1;
  buf_.append("\xdd\0\0\0\0", 5);
  lines_ = 0;
  active_ = true;
}

void OutputEncoder::Line(std::string_view line) {
  // msgpack str header, then the bytes.
  const size_t n = line.size();
  if (n < 32) {
    buf_.push_back(static_cast<char>(0xa0 | n));
  } else if (n < 256) {
    buf_.push_back('\xd9');
    buf_.push_back(static_cast<char>(n));
  } else if (n < 65536) {
    buf_.push_back('\xda');
    buf_.push_back(static_cast<char>(n >> 8));
    buf_.push_back(static_cast<char>(n));
  } else {
    buf_.push_back('\xdb');
    for (int shift = 24; shift >= 0; shift -= 8) buf_.push_back(static_cast<char>(n >> shift));
  }
  buf_.append(line);
  ++lines_;
}

std::string OutputEncoder::Finish() {
  for (int i = 0; i < 4; ++i) {
    buf_[count_offset_ + i] = static_cast<char>(lines_ >> (24 - 8 * i));
  }
  active_ = false;
  return std::move(buf_);
}

namespace {
// What OutputEncoder::Begin writes before the id's 8 bytes: a map of 7,
// "t": "output", "id", and the uint64 marker.
constexpr std::string_view kOutputIdPrefix("\x87\xa1t\xa6output\xa2id\xcf", 14);
}  // namespace

bool StampOutputId(std::string& frame, int64_t id) {
  if (id < 0 || frame.size() < kOutputIdPrefix.size() + 8 || !frame.starts_with(kOutputIdPrefix)) {
    return false;
  }
  const uint64_t v = static_cast<uint64_t>(id);
  for (int i = 0; i < 8; ++i) {
    frame[kOutputIdPrefix.size() + i] = static_cast<char>(v >> (56 - 8 * i));
  }
  return true;
}

int64_t OutputIdOf(std::string_view frame) {
  if (frame.size() < kOutputIdPrefix.size() + 8 || !frame.starts_with(kOutputIdPrefix)) return 0;
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v = v << 8 | static_cast<unsigned char>(frame[kOutputIdPrefix.size() + i]);
  }
  return v > static_cast<uint64_t>(INT64_MAX) ? 0 : static_cast<int64_t>(v);
}

std::string Fingerprint(const NodeConfig& config) {
  uint64_t hash = 1469598103934665603ULL;
  for (unsigned char c : EncodeNodeConfig(config)) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  return hex;
}

}  // namespace zsup::stem
