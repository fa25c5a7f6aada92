// zsupctl's view of zsupd: the endpoints, the timeout and the typed requests,
// over client/client.h's Control (a REQ socket replaced after a timeout,
// since a REQ socket without its reply is stuck). Every outcome is a value:
//   - an `ok: false` reply   -> Status::Refused(error) (from the broker decoders)
//   - no reply in `timeout`  -> Status::Unreachable("zsupd is not answering at EP")
//   - a ZeroMQ error         -> Status::Error
// A request is sent once, never retried: create is not idempotent. ZeroMQ
// queues it until the endpoint accepts, so a zsupd that comes up within the
// timeout still gets it.
//
// The ZeroMQ context starts threads: callers that block signals (the
// following subcommands) must do so before constructing a Client.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "broker/messages.h"
#include "broker/status.h"
#include "client/client.h"
#include "tools/zsupctl/cli.h"
#include "tools/zsupctl/endpoints.h"

namespace zsup::ctl {

class Client {
 public:
  Client(Endpoints endpoints, std::chrono::milliseconds timeout);
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const Endpoints& endpoints() const { return endpoints_; }
  std::chrono::milliseconds timeout() const { return timeout_; }
  zmq::context_t& context() { return context_; }
  client::Control& control() { return control_; }

  Result<PingReply> Ping();
  Status Create(const NodeConfig& config);
  // A command whose reply is only ok or an error (destroy, restart, stop, start).
  Status Send(const Request& request);
  Result<ApplyReply> Apply(const ApplyRequest& request);
  Result<StatusReport> GetStatus(const std::string& node);  // "" = every node
  Result<StatusReport> GetStatus(const StatusRequest& request);  // any selector
  Result<std::vector<OutputLine>> Tail(const std::string& node, Stream stream, int64_t lines);

 private:
  // The raw reply to one request.
  Result<std::string> Call(const Request& request);

  Endpoints endpoints_;
  std::chrono::milliseconds timeout_;
  zmq::context_t context_;
  client::Control control_;  // uses context_: declared after it
};

// A Client for the endpoints and --timeout in `options` (see endpoints.h).
// With --hosts (hosts.h), the one host the file or --host names; an error
// naming the hosts when there are several (the subcommand goes to one).
Result<std::unique_ptr<Client>> Connect(const GlobalOptions& options);

// A Client for `endpoints` with the --timeout of `options`.
std::unique_ptr<Client> Connect(const GlobalOptions& options, Endpoints endpoints);

}  // namespace zsup::ctl
