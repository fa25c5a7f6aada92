// Control requests and replies <-> msgpack (REQ/REP socket of zsupd).
#include <algorithm>
#include <cctype>
#include <string>

#include "broker/codec.h"
#include "broker/msgpack_reader.h"

namespace zsup {
namespace {

// `node` (absent or "" means every node), or `nodes`, or `namespace`: at
// most one of them.
Status ReadSelector(mp::MapReader& r, Selector* s) {
  Status st = r.Default("node", &s->node);
  if (st.ok()) st = r.Optional("nodes", &s->nodes);
  if (st.ok()) st = r.Optional("namespace", &s->name_space);
  if (!st.ok()) return st;
  if (!s->node.empty() + s->nodes.has_value() + s->name_space.has_value() > 1) {
    return Status::Error("at most one of node, nodes and namespace may be given");
  }
  return Status::Ok();
}

bool ValidPongToken(const std::string& token) {
  return !token.empty() && token.size() <= 64 &&
         std::all_of(token.begin(), token.end(), [](unsigned char c) {
           return std::isalnum(c) != 0 || c == '-' || c == '_';
         });
}

// `detail` (status only) is sent only when true, so that a plain status is
// what every zsupd understands.
void PackSelector(Packer& pk, const std::string& cmd, const Selector& s, bool detail = false) {
  const bool node = !s.nodes && !s.name_space;
  pk.pack_map(
      static_cast<uint32_t>(1 + node + s.nodes.has_value() + s.name_space.has_value() + detail));
  pk.pack("cmd"), pk.pack(cmd);
  if (node) pk.pack("node"), pk.pack(s.node);
  if (s.nodes) pk.pack("nodes"), pk.pack(*s.nodes);
  if (s.name_space) pk.pack("namespace"), pk.pack(*s.name_space);
  if (detail) pk.pack("detail"), pk.pack(true);
}

Result<Request> ReadRequest(mp::MapReader& r, const std::string& cmd) {
  Status s;
  if (cmd == "ping") {
    PingRequest ping;
    s = r.Optional("pong", &ping.pong);
    if (!s.ok()) return s;
    if (ping.pong && !ValidPongToken(*ping.pong)) {
      return Status::Error("pong: must be 1 to 64 letters, digits, '-' or '_'");
    }
    return Request(std::move(ping));
  }
  if (cmd == "create") {
    const msgpack::object* config = r.Take("config");
    if (config == nullptr) return Status::Error("missing field 'config' in create request");
    auto c = ReadNodeConfig(*config, "config");
    if (!c.ok()) return c.status();
    return Request(CreateRequest{std::move(*c)});
  }
  if (cmd == "destroy" || cmd == "restart" || cmd == "status" || cmd == "stop" ||
      cmd == "start" || cmd == "reopen") {
    Selector selector;
    s = ReadSelector(r, &selector);
    if (!s.ok()) return s;
    if (cmd == "destroy") return Request(DestroyRequest{std::move(selector)});
    if (cmd == "restart") return Request(RestartRequest{std::move(selector)});
    if (cmd == "stop") return Request(StopRequest{std::move(selector)});
    if (cmd == "start") return Request(StartRequest{std::move(selector)});
    if (cmd == "reopen") return Request(ReopenRequest{std::move(selector)});
    StatusRequest status{std::move(selector)};
    s = r.Default("detail", &status.detail);
    if (!s.ok()) return s;
    return Request(std::move(status));
  }
  if (cmd == "apply") {
    ApplyRequest a;
    const msgpack::object* nodes = r.Take("nodes");
    if (nodes == nullptr) return Status::Error("missing field 'nodes' in apply request");
    if (nodes->type != msgpack::type::ARRAY) {
      return Status::Error("nodes: must be an array of NodeConfig, not " +
                           std::string(mp::TypeName(*nodes)));
    }
    a.nodes.reserve(nodes->via.array.size);
    for (uint32_t i = 0; i < nodes->via.array.size; ++i) {
      auto c = ReadNodeConfig(nodes->via.array.ptr[i], "nodes[" + std::to_string(i) + "]");
      if (!c.ok()) return c.status();
      a.nodes.push_back(std::move(*c));
    }
    s = r.Optional("namespace", &a.name_space);
    if (s.ok()) s = r.Default("prune", &a.prune);
    if (s.ok()) s = r.Default("dry_run", &a.dry_run);
    if (!s.ok()) return s;
    return Request(std::move(a));
  }
  if (cmd == "tail") {
    TailRequest t;
    std::string stream = "stdout";
    t.lines = 1000;
    s = r.Required("node", &t.node);
    if (s.ok()) s = r.Default("stream", &stream);
    if (s.ok()) s = r.Default("lines", &t.lines);
    if (!s.ok()) return s;
    auto parsed = ParseStream(stream);
    if (!parsed) return Status::Error("stream: must be \"stdout\" or \"stderr\", not '" + stream + "'");
    if (t.lines < 0) return Status::Error("lines: must not be negative");
    t.stream = *parsed;
    return Request(std::move(t));
  }
  return Status::Error("unknown command '" + cmd +
                       "' (expected ping, create, destroy, restart, status, tail, stop, start or "
                       "apply)");
}

void PackExit(Packer& pk, const ExitInfo& e) {
  pk.pack_map(4);
  pk.pack("code");
  e.code ? pk.pack(*e.code) : pk.pack_nil();
  pk.pack("signal");
  e.signal ? pk.pack(*e.signal) : pk.pack_nil();
  pk.pack("at");
  pk.pack(e.at);
  pk.pack("commanded");
  pk.pack(e.commanded);
}

void PackNodeStatus(Packer& pk, const NodeStatus& s) {
  pk.pack_map(static_cast<uint32_t>(1 + s.pid.has_value() + s.state.has_value() +
                                    s.restarts.has_value() + s.started_at.has_value() +
                                    s.last_exit.has_value() + s.last_error.has_value() +
                                    s.next_start_at.has_value() + s.desired_up.has_value() +
                                    s.failed_reason.has_value() + s.ready.has_value() +
                                    s.status_text.has_value() + s.exits.has_value()));
  pk.pack("node");
  if (!s.node_msgpack.empty()) {
    // Raw bytes: a body without a header is exactly that.
    pk.pack_bin_body(s.node_msgpack.data(), static_cast<uint32_t>(s.node_msgpack.size()));
  } else {
    PackNodeConfig(pk, s.node);
  }
  if (s.pid) pk.pack("pid"), pk.pack(*s.pid);
  if (s.state) pk.pack("state"), pk.pack(StateName(*s.state));
  if (s.restarts) pk.pack("restarts"), pk.pack(*s.restarts);
  if (s.started_at) pk.pack("started_at"), pk.pack(*s.started_at);
  if (s.last_exit) pk.pack("last_exit"), PackExit(pk, *s.last_exit);
  if (s.last_error) pk.pack("last_error"), pk.pack(*s.last_error);
  if (s.next_start_at) pk.pack("next_start_at"), pk.pack(*s.next_start_at);
  if (s.desired_up) pk.pack("desired"), pk.pack(*s.desired_up ? "up" : "down");
  if (s.failed_reason) pk.pack("failed_reason"), pk.pack(*s.failed_reason);
  if (s.ready) pk.pack("ready"), pk.pack(*s.ready);
  if (s.status_text) pk.pack("status_text"), pk.pack(*s.status_text);
  if (s.exits) {
    pk.pack("exits"), pk.pack_array(static_cast<uint32_t>(s.exits->size()));
    for (const ExitInfo& e : *s.exits) PackExit(pk, e);
  }
}

// Opens a reply map: returns the reader when `ok` is true, Refused(error)
// when it is false, an error when the reply is malformed.
Result<mp::MapReader> OpenReply(const msgpack::object& o) {
  auto r = mp::MapReader::Open(o, "", "reply");
  if (!r.ok()) return r.status();
  bool ok = false;
  Status s = r->Required("ok", &ok);
  if (!s.ok()) return s;
  if (!ok) {
    std::string error = "(no error message)";
    s = r->Default("error", &error);
    if (!s.ok()) return s;
    return Status::Refused(error);
  }
  return r;
}

Result<ExitInfo> ReadExit(const msgpack::object& o, const std::string& path) {
  auto r = mp::MapReader::Open(o, path, path);
  if (!r.ok()) return r.status();
  ExitInfo e;
  Status s = r->Optional("code", &e.code);
  if (s.ok()) s = r->Optional("signal", &e.signal);
  if (s.ok()) s = r->Required("at", &e.at);
  if (s.ok()) s = r->Default("commanded", &e.commanded);  // absent from older zsupd
  if (!s.ok()) return s;
  return e;
}

Result<NodeStatus> ReadNodeStatus(const msgpack::object& o, const std::string& path) {
  auto r = mp::MapReader::Open(o, path, path);
  if (!r.ok()) return r.status();
  NodeStatus ns;
  const msgpack::object* node = r->Take("node");
  if (node == nullptr) return Status::Error("missing field 'node' in " + path);
  auto config = ReadNodeConfig(*node, r->FieldPath("node"));
  if (!config.ok()) return config.status();
  ns.node = std::move(*config);
  std::optional<std::string> state;
  Status s = r->Optional("pid", &ns.pid);
  if (s.ok()) s = r->Optional("state", &state);
  if (s.ok()) s = r->Optional("restarts", &ns.restarts);
  if (s.ok()) s = r->Optional("started_at", &ns.started_at);
  if (s.ok()) s = r->Optional("last_error", &ns.last_error);
  if (s.ok()) s = r->Optional("next_start_at", &ns.next_start_at);
  std::optional<std::string> desired;
  if (s.ok()) s = r->Optional("desired", &desired);
  if (s.ok()) s = r->Optional("failed_reason", &ns.failed_reason);
  if (s.ok()) s = r->Optional("ready", &ns.ready);
  if (s.ok()) s = r->Optional("status_text", &ns.status_text);
  if (!s.ok()) return s;
  if (desired) {
    if (*desired != "up" && *desired != "down") {
      return Status::Error(r->FieldPath("desired") + ": must be \"up\" or \"down\"");
    }
    ns.desired_up = *desired == "up";
  }
  if (state) {
    ns.state = ParseState(*state);
    if (!ns.state) return Status::Error(r->FieldPath("state") + ": unknown state '" + *state + "'");
  }
  if (const msgpack::object* e = r->Take("last_exit")) {
    auto exit = ReadExit(*e, r->FieldPath("last_exit"));
    if (!exit.ok()) return exit.status();
    ns.last_exit = *exit;
  }
  if (const msgpack::object* e = r->Take("exits")) {
    const std::string exits_path = r->FieldPath("exits");
    if (e->type != msgpack::type::ARRAY) {
      return Status::Error(exits_path + ": must be an array, not " + std::string(mp::TypeName(*e)));
    }
    ns.exits.emplace();
    for (uint32_t i = 0; i < e->via.array.size; ++i) {
      auto exit = ReadExit(e->via.array.ptr[i], exits_path + "[" + std::to_string(i) + "]");
      if (!exit.ok()) return exit.status();
      ns.exits->push_back(*exit);
    }
  }
  return ns;  // unknown fields tolerated: replies may grow optional fields

}

}  // namespace

std::string EncodeRequest(const Request& request) {
  msgpack::sbuffer buf;
  Packer pk(buf);
  if (const auto* ping = std::get_if<PingRequest>(&request)) {
    pk.pack_map(static_cast<uint32_t>(1 + ping->pong.has_value()));
    pk.pack("cmd"), pk.pack("ping");
    if (ping->pong) pk.pack("pong"), pk.pack(*ping->pong);
  } else if (const auto* c = std::get_if<CreateRequest>(&request)) {
    pk.pack_map(2), pk.pack("cmd"), pk.pack("create"), pk.pack("config");
    PackNodeConfig(pk, c->config);
  } else if (const auto* d = std::get_if<DestroyRequest>(&request)) {
    PackSelector(pk, "destroy", *d);
  } else if (const auto* re = std::get_if<RestartRequest>(&request)) {
    PackSelector(pk, "restart", *re);
  } else if (const auto* st = std::get_if<StatusRequest>(&request)) {
    PackSelector(pk, "status", *st, st->detail);
  } else if (const auto* stop = std::get_if<StopRequest>(&request)) {
    PackSelector(pk, "stop", *stop);
  } else if (const auto* start = std::get_if<StartRequest>(&request)) {
    PackSelector(pk, "start", *start);
  } else if (const auto* reopen = std::get_if<ReopenRequest>(&request)) {
    PackSelector(pk, "reopen", *reopen);
  } else if (const auto* a = std::get_if<ApplyRequest>(&request)) {
    pk.pack_map(static_cast<uint32_t>(4 + a->name_space.has_value()));
    pk.pack("cmd"), pk.pack("apply");
    pk.pack("nodes"), pk.pack_array(static_cast<uint32_t>(a->nodes.size()));
    for (const NodeConfig& node : a->nodes) PackNodeConfig(pk, node);
    if (a->name_space) pk.pack("namespace"), pk.pack(*a->name_space);
    pk.pack("prune"), pk.pack(a->prune);
    pk.pack("dry_run"), pk.pack(a->dry_run);
  } else if (const auto* t = std::get_if<TailRequest>(&request)) {
    pk.pack_map(4), pk.pack("cmd"), pk.pack("tail"), pk.pack("node"), pk.pack(t->node);
    pk.pack("stream"), pk.pack(StreamName(t->stream)), pk.pack("lines"), pk.pack(t->lines);
  }
  return FrameBytes(buf);
}

Result<Request> DecodeRequest(std::string_view bytes) {
  auto handle = mp::Unpack(bytes);
  if (!handle.ok()) return handle.status();
  auto r = mp::MapReader::Open(handle->get(), "", "request");
  if (!r.ok()) return r.status();
  std::string cmd;
  Status s = r->Required("cmd", &cmd);
  if (!s.ok()) return s;
  auto request = ReadRequest(*r, cmd);
  if (!request.ok()) return request;
  s = r->NoUnknownFields();
  if (!s.ok()) return s;
  return request;
}

std::string EncodeOkReply() {
  msgpack::sbuffer buf;
  Packer pk(buf);
  pk.pack_map(1), pk.pack("ok"), pk.pack(true);
  return FrameBytes(buf);
}

std::string EncodeErrorReply(std::string_view message) {
  msgpack::sbuffer buf;
  Packer pk(buf);
  pk.pack_map(2), pk.pack("ok"), pk.pack(false), pk.pack("error"), pk.pack(message);
  return FrameBytes(buf);
}

std::string EncodePingReply(const PingReply& reply) {
  msgpack::sbuffer buf;
  Packer pk(buf);
  pk.pack_map(reply.protocol ? 4 : 3), pk.pack("ok"), pk.pack(true);
  pk.pack("version"), pk.pack(reply.version), pk.pack("pid"), pk.pack(reply.pid);
  if (reply.protocol) pk.pack("protocol"), pk.pack(*reply.protocol);
  return FrameBytes(buf);
}

std::string EncodeStatusReply(const StatusReport& report) {
  msgpack::sbuffer buf;
  Packer pk(buf);
  pk.pack_map(2), pk.pack("ok"), pk.pack(true), pk.pack("status");
  pk.pack_map(1), pk.pack("nodes");
  pk.pack_map(static_cast<uint32_t>(report.nodes.size()));
  for (const auto& [name, status] : report.nodes) {
    pk.pack(name);
    PackNodeStatus(pk, status);
  }
  return FrameBytes(buf);
}

std::string EncodeTailReply(const std::vector<OutputLine>& lines) {
  msgpack::sbuffer buf;
  Packer pk(buf);
  pk.pack_map(2), pk.pack("ok"), pk.pack(true), pk.pack("lines");
  pk.pack_array(static_cast<uint32_t>(lines.size()));
  for (const OutputLine& l : lines) {
    pk.pack_map(3), pk.pack("msg"), pk.pack(l.msg), pk.pack("seq"), pk.pack(l.seq);
    pk.pack("at"), pk.pack(l.at);
  }
  return FrameBytes(buf);
}

std::string EncodeApplyReply(const ApplyReply& reply) {
  msgpack::sbuffer buf;
  Packer pk(buf);
  pk.pack_map(5), pk.pack("ok"), pk.pack(true);
  pk.pack("created"), pk.pack(reply.created);
  pk.pack("updated"), pk.pack(reply.updated);
  pk.pack("unchanged"), pk.pack(reply.unchanged);
  pk.pack("destroyed"), pk.pack(reply.destroyed);
  return FrameBytes(buf);
}

Result<ApplyReply> DecodeApplyReply(std::string_view bytes) {
  auto handle = mp::Unpack(bytes);
  if (!handle.ok()) return handle.status();
  auto r = OpenReply(handle->get());
  if (!r.ok()) return r.status();
  ApplyReply reply;
  Status s = r->Required("created", &reply.created);
  if (s.ok()) s = r->Required("updated", &reply.updated);
  if (s.ok()) s = r->Required("unchanged", &reply.unchanged);
  if (s.ok()) s = r->Required("destroyed", &reply.destroyed);
  if (!s.ok()) return s;
  return reply;
}

Status DecodeOkReply(std::string_view bytes) {
  auto handle = mp::Unpack(bytes);
  if (!handle.ok()) return handle.status();
  auto r = OpenReply(handle->get());
  return r.status();
}

Result<PingReply> DecodePingReply(std::string_view bytes) {
  auto handle = mp::Unpack(bytes);
  if (!handle.ok()) return handle.status();
  auto r = OpenReply(handle->get());
  if (!r.ok()) return r.status();
  PingReply reply;
  Status s = r->Required("version", &reply.version);
  if (s.ok()) s = r->Required("pid", &reply.pid);
  if (s.ok()) s = r->Optional("protocol", &reply.protocol);
  if (!s.ok()) return s;
  return reply;
}

Result<StatusReport> DecodeStatusReply(std::string_view bytes) {
  auto handle = mp::Unpack(bytes);
  if (!handle.ok()) return handle.status();
  auto r = OpenReply(handle->get());
  if (!r.ok()) return r.status();
  const msgpack::object* status = r->Take("status");
  if (status == nullptr) return Status::Error("missing field 'status' in reply");
  auto sr = mp::MapReader::Open(*status, "status", "status");
  if (!sr.ok()) return sr.status();
  const msgpack::object* nodes = sr->Take("nodes");
  if (nodes == nullptr) return Status::Error("missing field 'nodes' in status");
  if (nodes->type != msgpack::type::MAP) {
    return Status::Error("status.nodes: must be a map, not " + std::string(mp::TypeName(*nodes)));
  }
  StatusReport report;
  for (uint32_t i = 0; i < nodes->via.map.size; ++i) {
    const msgpack::object_kv& kv = nodes->via.map.ptr[i];
    std::string name;
    if (kv.key.type != msgpack::type::STR) return Status::Error("status.nodes: keys must be strings");
    Status s = mp::Read(kv.key, "status.nodes", &name);
    if (!s.ok()) return s;
    auto ns = ReadNodeStatus(kv.val, "status.nodes." + name);
    if (!ns.ok()) return ns.status();
    report.nodes[name] = std::move(*ns);
  }
  return report;
}

Result<std::vector<OutputLine>> DecodeTailReply(std::string_view bytes) {
  auto handle = mp::Unpack(bytes);
  if (!handle.ok()) return handle.status();
  auto r = OpenReply(handle->get());
  if (!r.ok()) return r.status();
  const msgpack::object* lines = r->Take("lines");
  if (lines == nullptr) return Status::Error("missing field 'lines' in reply");
  if (lines->type != msgpack::type::ARRAY) {
    return Status::Error("lines: must be an array, not " + std::string(mp::TypeName(*lines)));
  }
  std::vector<OutputLine> out;
  out.reserve(lines->via.array.size);
  for (uint32_t i = 0; i < lines->via.array.size; ++i) {
    const std::string path = "lines[" + std::to_string(i) + "]";
    auto lr = mp::MapReader::Open(lines->via.array.ptr[i], path, path);
    if (!lr.ok()) return lr.status();
    OutputLine& l = out.emplace_back();
    Status s = lr->Required("msg", &l.msg);
    if (s.ok()) s = lr->Required("seq", &l.seq);
    if (s.ok()) s = lr->Required("at", &l.at);
    if (!s.ok()) return s;
  }
  return out;
}

}  // namespace zsup
