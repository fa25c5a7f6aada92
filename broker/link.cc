#include "broker/link.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "broker/fd.h"

namespace zsup {
namespace {

constexpr int kHighWaterMark = 64;  // messages; output batches are ~64 KiB at most

Result<UniqueFd> ListenUnix(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) {
    return Status::Error("socket path too long (" + std::to_string(path.size()) +
                         " bytes, at most " + std::to_string(sizeof addr.sun_path - 1) + "): " + path);
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return Status::Errno("socket", errno);
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  ::unlink(path.c_str());  // a file left by an earlier process
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return Status::Errno("bind " + path, errno);
  }
  // The file gets the umask's mode; only our user may connect.
  if (::chmod(path.c_str(), 0600) != 0) return Status::Errno("chmod " + path, errno);
  if (::listen(fd.get(), 16) != 0) return Status::Errno("listen " + path, errno);
  return fd;
}

}  // namespace

std::string IpcPath(std::string_view endpoint) {
  constexpr std::string_view kIpc = "ipc://";
  if (!endpoint.starts_with(kIpc)) return "";
  return std::string(endpoint.substr(kIpc.size()));
}

Result<std::unique_ptr<Link>> Link::Create(zmq::context_t& context, std::string endpoint,
                                           Role role) {
  std::unique_ptr<Link> link(new Link(context, std::move(endpoint), role));
  Status s = link->Open();
  if (!s.ok()) return s;
  return link;
}

Link::Link(zmq::context_t& context, std::string endpoint, Role role)
    : context_(context), endpoint_(std::move(endpoint)), role_(role) {}

Link::~Link() {
  if (role_ == Role::kBind) {
    // Our listener was made with ZMQ_USE_FD, which ZeroMQ does not unlink.
    std::string path = IpcPath(endpoint_);
    if (!path.empty()) ::unlink(path.c_str());
  }
}

Status Link::Open() {
  try {
    zmq::socket_t socket(context_, zmq::socket_type::pair);
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::sndhwm, kHighWaterMark);
    socket.set(zmq::sockopt::rcvhwm, kHighWaterMark);
    if (role_ == Role::kConnect) {
      socket.set(zmq::sockopt::reconnect_ivl, 20);
      socket.set(zmq::sockopt::reconnect_ivl_max, 200);
      socket.connect(endpoint_);
    } else {
      const std::string path = IpcPath(endpoint_);
      if (!path.empty()) {
        auto fd = ListenUnix(path);
        if (!fd.ok()) return fd.status().Prefixed("stem link");
        socket.set(zmq::sockopt::use_fd, fd->get());
        socket.bind(endpoint_);
        fd->Release();  // owned by the ZeroMQ listener from here on
      } else {
        socket.bind(endpoint_);
      }
    }
    socket_ = std::move(socket);
    return Status::Ok();
  } catch (const zmq::error_t& e) {
    return Status::Error("stem link " + endpoint_ + ": " + e.what());
  }
}

Status Link::Reset() {
  socket_.close();
  return Open();
}

Result<bool> Link::TrySend(std::string_view frame) {
  try {
    auto sent = socket_.send(zmq::const_buffer(frame.data(), frame.size()), zmq::send_flags::dontwait);
    return sent.has_value();
  } catch (const zmq::error_t& e) {
    return Status::Error(std::string("stem link send: ") + e.what());
  }
}

Result<std::optional<zmq::message_t>> Link::TryReceive() {
  try {
    zmq::message_t msg;
    auto got = socket_.recv(msg, zmq::recv_flags::dontwait);
    if (!got) return std::optional<zmq::message_t>();
    return std::optional<zmq::message_t>(std::move(msg));
  } catch (const zmq::error_t& e) {
    return Status::Error(std::string("stem link receive: ") + e.what());
  }
}

}  // namespace zsup
