#include "tools/zsupctl/client.h"

#include <algorithm>

#include "broker/codec.h"
#include "tools/zsupctl/hosts.h"

namespace zsup::ctl {

Result<std::unique_ptr<Client>> Connect(const GlobalOptions& options) {
  auto hosts = ReadHosts(options);
  if (!hosts.ok()) return hosts.status();
  if (hosts->size() == 1) return Connect(options, std::move(hosts->front().endpoints));
  if (hosts->size() > 1) {
    std::string names;
    for (const HostEntry& h : *hosts) names += (names.empty() ? "" : ", ") + h.name;
    return Status::Error("this subcommand goes to one zsupd: say which with --host NAME (one of " +
                         names + ")");
  }
  auto endpoints = ResolveEndpoints(options);
  if (!endpoints.ok()) return endpoints.status();
  if (Status there = CheckSocketExists(*endpoints); !there.ok()) return there;
  return Connect(options, std::move(*endpoints));
}

std::unique_ptr<Client> Connect(const GlobalOptions& options, Endpoints endpoints) {
  const auto timeout = std::chrono::milliseconds(
      static_cast<int64_t>(std::clamp(options.timeout_seconds, 0.001, 1e6) * 1000));
  return std::make_unique<Client>(std::move(endpoints), timeout);
}

zmq::context_t& ProcessContext() {
  static zmq::context_t* const context = new zmq::context_t(1);  // never deleted: see client.h
  return *context;
}

namespace {
client::ControlOptions ControlOptionsFor(std::chrono::milliseconds timeout,
                                         const std::optional<client::CurveKeys>& curve) {
  client::ControlOptions o;
  o.timeout = timeout;
  o.curve = curve;  // the caller keeps it for tcp endpoints only
  return o;
}
}  // namespace

Client::Client(Endpoints endpoints, std::chrono::milliseconds timeout)
    : endpoints_(std::move(endpoints)),
      timeout_(timeout),
      context_(ProcessContext()),
      control_(context_, endpoints_.control,
               ControlOptionsFor(timeout, endpoints_.control.starts_with("tcp://")
                                              ? endpoints_.curve
                                              : std::nullopt)) {}

Result<std::string> Client::Call(const Request& request) {
  auto reply = control_.Call(request);
  if (!reply.ok() && reply.status().code() == Status::Code::kUnreachable &&
      endpoints_.control.starts_with("tcp://") && !endpoints_.curve) {
    // A CURVE server never answers a plain client: say what may be missing.
    return Status::Unreachable(reply.error() +
                               " (a zsupd serving tcp with CURVE needs --server-key and "
                               "--client-key)");
  }
  return reply;
}

Result<PingReply> Client::Ping() {
  auto reply = Call(PingRequest{});
  if (!reply.ok()) return reply.status();
  return DecodePingReply(*reply);
}

Status Client::Create(const NodeConfig& config) {
  auto reply = Call(CreateRequest{config});
  return reply.ok() ? DecodeOkReply(*reply) : reply.status();
}

Status Client::Send(const Request& request) {
  auto reply = Call(request);
  return reply.ok() ? DecodeOkReply(*reply) : reply.status();
}

Result<ApplyReply> Client::Apply(const ApplyRequest& request) {
  auto reply = Call(request);
  if (!reply.ok()) return reply.status();
  return DecodeApplyReply(*reply);
}

Result<StatusReport> Client::GetStatus(const std::string& node) {
  return GetStatus(StatusRequest{node});
}

Result<StatusReport> Client::GetStatus(const StatusRequest& request) {
  auto reply = Call(request);
  if (!reply.ok()) return reply.status();
  return DecodeStatusReply(*reply);
}

Result<std::vector<OutputLine>> Client::Tail(const std::string& node, Stream stream,
                                             int64_t lines) {
  auto reply = Call(TailRequest{node, stream, lines});
  if (!reply.ok()) return reply.status();
  return DecodeTailReply(*reply);
}

}  // namespace zsup::ctl
