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
// Every Client shares the process's one ZeroMQ context (ProcessContext()),
// which starts threads on first use: callers that block signals (the
// following subcommands) must do so before constructing the first Client.
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
  zmq::context_t& context_;  // ProcessContext()
  client::Control control_;  // uses context_: declared after it
};

// The process's ZeroMQ context, made on first call and never terminated.
// Every socket zsupctl opens has linger 0, so zmq_ctx_term would send
// nothing more: it would only join ZeroMQ's I/O and reaper threads, about
// a third of a millisecond of a one-shot command's 3 (docs/benchmarks.md,
// "CLI"). The process's exit ends them instead. Thread-safe.
zmq::context_t& ProcessContext();

// A Client for the endpoints and --timeout in `options` (see endpoints.h).
// With --hosts (hosts.h), the one host the file or --host names; an error
// naming the hosts when there are several (the subcommand goes to one).
Result<std::unique_ptr<Client>> Connect(const GlobalOptions& options);

// A Client for `endpoints` with the --timeout of `options`.
std::unique_ptr<Client> Connect(const GlobalOptions& options, Endpoints endpoints);

}  // namespace zsup::ctl
