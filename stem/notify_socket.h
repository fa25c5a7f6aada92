// The receiving side of systemd's sd_notify protocol: the socket a node
// named in its NOTIFY_SOCKET environment variable sends "READY=1" to.
//
// Ownership: a NotifySocket owns its datagram socket (close-on-exec, so no
// node inherits it) and, for a filesystem address, the socket file, which it
// unlinks when destroyed. Move-only. Open() does not remove a file left at
// the path; bind then fails with EADDRINUSE and the caller decides.
// Errors: Open() returns a Status naming the address and errno. ReadAll()
// cannot fail: datagrams it cannot trust or parse are dropped, and a read
// error other than EAGAIN ends the drain (the next poll wakeup tries again).
// Threads: single-threaded, used from the stem's one zmq::poll loop. Nothing
// here blocks or sleeps: the socket is non-blocking and ReadAll() reads at
// most `max_messages` datagrams per call so one chatty node cannot stall
// the loop.
//
// The sender is identified by the kernel (SO_PASSCRED attaches its pid and
// uid to every datagram), never by what the datagram says.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/fd.h"
#include "broker/status.h"

namespace zsup {

// One datagram's worth of state changes, as systemd reads them.
struct NotifyMessage {
  pid_t pid = 0;  // the sender, in the stem's pid namespace
  uid_t uid = 0;
  bool ready = false;                 // "READY=1"
  std::optional<std::string> status;  // "STATUS=...": valid UTF-8, at most kMaxStatusBytes
  bool stopping = false;              // "STOPPING=1"
};

// Longer datagrams are dropped whole (systemd's limit is larger, but no
// node has a reason to send more).
inline constexpr size_t kMaxNotifyBytes = 4096;
// A longer STATUS text is cut (at a UTF-8 boundary) to this many bytes.
inline constexpr size_t kMaxStatusBytes = 1024;

// Parses newline-separated KEY=VALUE assignments into *msg; unknown keys and
// lines without '=' are ignored; a repeated key's last value wins. Leaves
// pid and uid alone.
void ParseNotifyPayload(std::string_view payload, NotifyMessage* msg);

class NotifySocket {
 public:
  // `address` is "@name" for a Linux abstract socket (no file; gone when the
  // socket closes) or a filesystem path. Either must fit in sun_path.
  static Result<NotifySocket> Open(std::string address);

  NotifySocket(NotifySocket&& other) noexcept;
  NotifySocket& operator=(NotifySocket&& other) noexcept;
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;
  ~NotifySocket();

  // For zmq::poll with ZMQ_POLLIN.
  int fd() const { return fd_.get(); }
  // As given to Open(): the value for a child's NOTIFY_SOCKET.
  const std::string& address() const { return address_; }

  // Reads pending datagrams until none is left or `max_messages` were read.
  // Drops datagrams longer than kMaxNotifyBytes, without credentials, or
  // holding a NUL byte; closes any descriptors a sender passed.
  std::vector<NotifyMessage> ReadAll(size_t max_messages = 64);

 private:
  NotifySocket(UniqueFd fd, std::string address, bool owns_file)
      : fd_(std::move(fd)), address_(std::move(address)), owns_file_(owns_file) {}
  void Close();

  UniqueFd fd_;
  std::string address_;
  bool owns_file_ = false;  // address_ is a path this socket created
};

}  // namespace zsup
