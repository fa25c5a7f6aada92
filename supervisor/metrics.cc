#include "supervisor/metrics.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <variant>

#include "broker/msgpack_reader.h"
#include "supervisor/microhttpd.h"

namespace zsup {
namespace {

// The shortest text that reads back as `v` (0.0005, not 0.00050000000000000001).
std::string Number(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  return ec == std::errc() ? std::string(buf, end) : "NaN";
}

void Family(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

// name{node="..."[,extra]} value
void Sample(std::string& out, const char* name, const std::string& node, std::string_view extra,
            const std::string& value) {
  out += name;
  out += "{node=\"";
  out += EscapeLabelValue(node);
  out += '"';
  if (!extra.empty()) {
    out += ',';
    out += extra;
  }
  out += "} ";
  out += value;
  out += '\n';
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

bool ReplyIsOk(std::string_view reply) {
  // zsupd's replies are maps whose first key is "ok" (fixmap or map16/32).
  size_t at = 0;
  if (!reply.empty()) {
    const auto first = static_cast<unsigned char>(reply[0]);
    at = (first & 0xf0) == 0x80 ? 1 : first == 0xde ? 3 : first == 0xdf ? 5 : 0;
  }
  if (at > 0 && reply.size() > at + 3 && reply.substr(at, 3) == "\xa2ok") {
    return static_cast<unsigned char>(reply[at + 3]) == 0xc3;
  }
  auto handle = mp::Unpack(reply);  // anything else: read it properly
  if (!handle.ok()) return false;
  auto r = mp::MapReader::Open(handle->get(), "", "reply");
  bool ok = false;
  return r.ok() && r->Required("ok", &ok).ok() && ok;
}

std::string_view CommandName(const Request& request) {
  struct Names {
    std::string_view operator()(const PingRequest&) const { return "ping"; }
    std::string_view operator()(const CreateRequest&) const { return "create"; }
    std::string_view operator()(const DestroyRequest&) const { return "destroy"; }
    std::string_view operator()(const RestartRequest&) const { return "restart"; }
    std::string_view operator()(const StatusRequest&) const { return "status"; }
    std::string_view operator()(const TailRequest&) const { return "tail"; }
    std::string_view operator()(const StopRequest&) const { return "stop"; }
    std::string_view operator()(const StartRequest&) const { return "start"; }
    std::string_view operator()(const ApplyRequest&) const { return "apply"; }
    std::string_view operator()(const ReopenRequest&) const { return "reopen"; }
  };
  return std::visit(Names{}, request);
}

void Metrics::NodeExited(const std::string& node, const std::optional<int64_t>& code,
                         const std::optional<int64_t>& signal) {
  const std::string label = code ? "code=\"" + std::to_string(*code) + "\""
                                 : "signal=\"" + std::to_string(signal.value_or(0)) + "\"";
  ++nodes_[node].exits[label];
}

void Metrics::Output(const std::string& node, Stream stream, size_t lines, size_t bytes) {
  auto it = nodes_.find(node);
  if (it == nodes_.end()) it = nodes_.emplace(node, NodeCounters{}).first;
  const int i = stream == Stream::kStdout ? 0 : 1;
  it->second.lines[i] += lines;
  it->second.bytes[i] += bytes;
}

void Metrics::Command(std::string_view cmd, bool ok, double seconds) {
  auto it = commands_.find(cmd);
  if (it == commands_.end()) it = commands_.emplace(std::string(cmd), CommandCounters{}).first;
  ++(ok ? it->second.ok : it->second.failed);
  size_t bucket = 0;
  while (bucket < kBuckets.size() && seconds > kBuckets[bucket]) ++bucket;
  ++duration_buckets_[bucket];
  duration_sum_ += seconds;
  ++duration_count_;
}

void Metrics::Forget(const std::string& node) { nodes_.erase(node); }

std::string Metrics::Render(const NodeTable& table, const DaemonFigures& daemon) const {
  std::string out;
  out.reserve(512 + table.size() * 600);
  const auto& nodes = table.nodes();
  Family(out, "zsup_node_up", "gauge", "1 while the node's process runs (starting, running or stopping)");
  for (const auto& [name, v] : nodes) Sample(out, "zsup_node_up", name, "", v.pid ? "1" : "0");
  Family(out, "zsup_node_ready", "gauge", "1 while the node's current process is ready");
  for (const auto& [name, v] : nodes) Sample(out, "zsup_node_ready", name, "", v.ready ? "1" : "0");
  Family(out, "zsup_node_restarts_total", "counter", "spawns of the node after its first");
  for (const auto& [name, v] : nodes) {
    Sample(out, "zsup_node_restarts_total", name, "", std::to_string(v.restarts));
  }
  Family(out, "zsup_node_exits_total", "counter",
         "exits of the node's processes seen by this zsupd, by exit code or signal");
  for (const auto& [name, v] : nodes) {
    auto it = nodes_.find(name);
    if (it == nodes_.end()) continue;
    for (const auto& [label, count] : it->second.exits) {
      Sample(out, "zsup_node_exits_total", name, label, std::to_string(count));
    }
  }
  Family(out, "zsup_node_start_time_seconds", "gauge",
         "start of the node's current process, seconds since the Unix epoch");
  for (const auto& [name, v] : nodes) {
    if (v.pid && v.started_at) Sample(out, "zsup_node_start_time_seconds", name, "", Number(*v.started_at));
  }
  for (const auto& [family, help, lines] :
       {std::tuple{"zsup_output_lines_total", "output lines published by this zsupd", true},
        std::tuple{"zsup_output_bytes_total", "bytes of the output lines published by this zsupd",
                   false}}) {
    Family(out, family, "counter", help);
    for (const auto& [name, v] : nodes) {
      auto it = nodes_.find(name);
      for (int i = 0; i < 2; ++i) {
        const uint64_t n = it == nodes_.end() ? 0 : lines ? it->second.lines[i] : it->second.bytes[i];
        Sample(out, family, name, i == 0 ? "stream=\"stdout\"" : "stream=\"stderr\"",
               std::to_string(n));
      }
    }
  }
  Family(out, "zsup_stem_starts_total", "counter", "zsup-stem processes this zsupd started");
  out += "zsup_stem_starts_total " + std::to_string(stem_starts_) + "\n";
  Family(out, "zsup_events_dropped_total", "counter",
         "events published while the events or batches socket was dropping for a stalled "
         "subscriber (each one may have been lost by that subscriber)");
  out += "zsup_events_dropped_total " + std::to_string(daemon.events_dropped) + "\n";
  Family(out, "zsup_events_subscribers_cut_off_total", "counter",
         "subscribers disconnected because they stopped reading");
  out += "zsup_events_subscribers_cut_off_total " + std::to_string(daemon.subscribers_cut_off) + "\n";
  Family(out, "zsup_commands_total", "counter", "control requests answered, by command and outcome");
  for (const auto& [cmd, c] : commands_) {
    for (const auto& [ok, n] : {std::pair{"true", c.ok}, std::pair{"false", c.failed}}) {
      if (n == 0) continue;
      out += "zsup_commands_total{cmd=\"" + EscapeLabelValue(cmd) + "\",ok=\"" + ok + "\"} " +
             std::to_string(n) + "\n";
    }
  }
  Family(out, "zsup_command_duration_seconds", "histogram",
         "time from reading a control request to its reply");
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    cumulative += duration_buckets_[i];
    out += "zsup_command_duration_seconds_bucket{le=\"" + Number(kBuckets[i]) + "\"} " +
           std::to_string(cumulative) + "\n";
  }
  out += "zsup_command_duration_seconds_bucket{le=\"+Inf\"} " + std::to_string(duration_count_) + "\n";
  out += "zsup_command_duration_seconds_sum " + Number(duration_sum_) + "\n";
  out += "zsup_command_duration_seconds_count " + std::to_string(duration_count_) + "\n";
  return out;
}

// ---- the HTTP server ----

namespace {
MHD_Result HandleRequest(void* self, MHD_Connection* connection, const char* url,
                         const char* method, const char* version, const char* upload_data,
                         size_t* upload_size, void** state);
}  // namespace

Result<std::unique_ptr<MetricsServer>> MetricsServer::Start(const std::string& address,
                                                            std::function<std::string()> render) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return Status::Error("--metrics: expected HOST:PORT, got '" + address + "'");
  std::string host = address.substr(0, colon);
  const std::string port_text = address.substr(colon + 1);
  char* end = nullptr;
  const long port = std::strtol(port_text.c_str(), &end, 10);
  if (port_text.empty() || *end != '\0' || port < 0 || port > 65535) {
    return Status::Error("--metrics: '" + port_text + "' is not a port");
  }
  sockaddr_storage storage{};
  unsigned int flags = MHD_USE_EPOLL | MHD_USE_SUPPRESS_DATE_NO_CLOCK;
  if (host.starts_with('[') && host.ends_with(']')) {
    host = host.substr(1, host.size() - 2);
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&storage);
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(static_cast<uint16_t>(port));
    if (::inet_pton(AF_INET6, host.c_str(), &a6->sin6_addr) != 1) {
      return Status::Error("--metrics: '" + host + "' is not an IPv6 address");
    }
    flags |= MHD_USE_IPv6;
  } else {
    auto* a4 = reinterpret_cast<sockaddr_in*>(&storage);
    a4->sin_family = AF_INET;
    a4->sin_port = htons(static_cast<uint16_t>(port));
    if (host.empty()) {
      a4->sin_addr.s_addr = htonl(INADDR_ANY);
    } else if (::inet_pton(AF_INET, host.c_str(), &a4->sin_addr) != 1) {
      return Status::Error("--metrics: '" + host +
                           "' is not an IP address (a host name would need a DNS lookup)");
    }
  }
  auto mhd = MicroHttpd::Load();
  if (!mhd.ok()) return mhd.status();
  std::unique_ptr<MetricsServer> server(new MetricsServer(*mhd, std::move(render)));
  server->daemon_ = server->mhd_->start_daemon(
      flags, static_cast<uint16_t>(port), nullptr, nullptr,
      &HandleRequest, server.get(),
      MHD_OPTION_SOCK_ADDR, reinterpret_cast<sockaddr*>(&storage), MHD_OPTION_CONNECTION_LIMIT,
      kMaxConnections, MHD_OPTION_CONNECTION_TIMEOUT, kConnectionTimeoutSeconds,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, kConnectionMemory, MHD_OPTION_LISTENING_ADDRESS_REUSE,
      1, MHD_OPTION_END);
  if (server->daemon_ == nullptr) {
    return Status::Error("--metrics: cannot listen on " + address +
                         " (in use, or not an address of this machine)");
  }
  const MHD_DaemonInfo* info = server->mhd_->get_daemon_info(server->daemon_, MHD_DAEMON_INFO_EPOLL_FD);
  if (info == nullptr) return Status::Error("--metrics: libmicrohttpd has no epoll descriptor");
  server->fd_ = info->epoll_fd;
  return server;
}

MetricsServer::~MetricsServer() {
  if (daemon_ != nullptr) mhd_->stop_daemon(daemon_);
}

void MetricsServer::Run() { mhd_->run(daemon_); }

std::optional<TimePoint> MetricsServer::Deadline(TimePoint now) const {
  MHD_UNSIGNED_LONG_LONG ms = 0;
  if (mhd_->get_timeout(daemon_, &ms) != MHD_YES) return std::nullopt;
  return now + std::chrono::milliseconds(ms);
}

namespace {

MHD_Result HandleRequest(void* self, MHD_Connection* connection, const char* url,
                         const char* method, const char*, const char*, size_t* upload_size,
                         void** state) {
  auto* server = static_cast<MetricsServer*>(self);
  // First call: headers only. Answer on the second, once any body is read
  // (a GET has none; one with a body is refused below).
  if (*state == nullptr) {
    *state = server;
    return MHD_YES;
  }
  if (*upload_size != 0) {
    *upload_size = 0;
    return MHD_YES;
  }
  unsigned int code = MHD_HTTP_OK;
  std::string body;
  const char* type = "text/plain; version=0.0.4; charset=utf-8";
  if (std::strcmp(method, "GET") != 0 && std::strcmp(method, "HEAD") != 0) {
    code = MHD_HTTP_METHOD_NOT_ALLOWED;
    body = "only GET /metrics\n";
  } else if (std::strcmp(url, "/metrics") != 0) {
    code = MHD_HTTP_NOT_FOUND;
    body = "zsupd serves /metrics only\n";
  } else {
    body = server->Scrape();
  }
  const MicroHttpd& mhd = server->mhd();
  MHD_Response* response =
      mhd.create_response_from_buffer(body.size(), body.data(), MHD_RESPMEM_MUST_COPY);
  if (response == nullptr) return MHD_NO;
  mhd.add_response_header(response, "Content-Type", type);
  if (code == MHD_HTTP_METHOD_NOT_ALLOWED) mhd.add_response_header(response, "Allow", "GET");
  const MHD_Result queued = mhd.queue_response(connection, code, response);
  mhd.destroy_response(response);
  return queued;
}

}  // namespace

}  // namespace zsup
