// One end of the zsupd <-> zsup-stem PAIR link (ipc://DIR/stem.sock).
//
// The stem binds, zsupd connects. Either side that notices the loss of its
// peer (a pidfd, or missed heartbeats) calls Reset(): a bound PAIR socket
// whose peer died with messages in flight may ignore the next peer, so the
// socket is closed and created afresh. Binding goes through a listening fd
// made here (ZMQ_USE_FD) so that ZeroMQ's asynchronous close of the old
// socket never unlinks the new socket's file.
//
// Never throws: ZeroMQ errors come back as Status. All sends and receives
// are non-blocking; poll handle() for readiness. Not thread-safe.
#pragma once

#include <zmq.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "broker/status.h"

namespace zsup {

class Link {
 public:
  enum class Role { kBind, kConnect };

  static Result<std::unique_ptr<Link>> Create(zmq::context_t& context, std::string endpoint,
                                              Role role);
  ~Link();
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  // Closes the socket (dropping whatever it still queues) and opens a new one.
  Status Reset();

  // Queues one frame. Returns false when it would block (no peer yet, or the
  // high-water mark is reached); the caller keeps the frame and retries when
  // handle() polls writable.
  Result<bool> TrySend(std::string_view frame);
  // One frame if one is waiting.
  Result<std::optional<zmq::message_t>> TryReceive();

  zmq::socket_t& socket() { return socket_; }
  const std::string& endpoint() const { return endpoint_; }

 private:
  Link(zmq::context_t& context, std::string endpoint, Role role);
  Status Open();

  zmq::context_t& context_;
  std::string endpoint_;
  Role role_;
  zmq::socket_t socket_;
};

// "ipc://PATH" -> PATH; empty for other transports.
std::string IpcPath(std::string_view endpoint);

}  // namespace zsup
