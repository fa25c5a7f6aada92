#include "stem/notify_socket.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

#include "broker/utf8.h"

namespace zsup {
namespace {

// The most descriptors one SCM_RIGHTS message carries (the kernel's SCM_MAX_FD).
constexpr size_t kMaxPassedFds = 253;

// Closes every descriptor in the control messages and returns the sender's
// credentials, if the kernel attached them.
std::optional<ucred> TakeControl(msghdr* mh) {
  std::optional<ucred> cred;
  for (cmsghdr* c = CMSG_FIRSTHDR(mh); c != nullptr; c = CMSG_NXTHDR(mh, c)) {
    if (c->cmsg_level != SOL_SOCKET) continue;
    const size_t data_len = c->cmsg_len - CMSG_LEN(0);
    if (c->cmsg_type == SCM_RIGHTS) {
      for (size_t i = 0; i + sizeof(int) <= data_len; i += sizeof(int)) {
        int fd = -1;
        std::memcpy(&fd, CMSG_DATA(c) + i, sizeof fd);
        if (fd >= 0) ::close(fd);
      }
    } else if (c->cmsg_type == SCM_CREDENTIALS && data_len >= sizeof(ucred)) {
      ucred u{};
      std::memcpy(&u, CMSG_DATA(c), sizeof u);
      cred = u;
    }
  }
  return cred;
}

}  // namespace

void ParseNotifyPayload(std::string_view payload, NotifyMessage* msg) {
  while (!payload.empty()) {
    const size_t nl = payload.find('\n');
    const std::string_view line = payload.substr(0, nl);
    payload = nl == std::string_view::npos ? std::string_view() : payload.substr(nl + 1);
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, eq);
    const std::string_view value = line.substr(eq + 1);
    if (key == "READY") {
      if (value == "1") msg->ready = true;
    } else if (key == "STOPPING") {
      if (value == "1") msg->stopping = true;
    } else if (key == "STATUS") {
      std::string scratch;
      const std::string_view text = SanitizeUtf8(value, &scratch);
      msg->status = std::string(text.substr(0, Utf8CutPoint(text, kMaxStatusBytes)));
    }
  }
}

Result<NotifySocket> NotifySocket::Open(std::string address) {
  const std::string what = "notify socket '" + address + "'";
  const bool abstract = !address.empty() && address[0] == '@';
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  // An abstract name needs no terminating NUL; a path does.
  const size_t room = abstract ? sizeof sa.sun_path : sizeof sa.sun_path - 1;
  if (address.empty() || address == "@" || address.find('\0') != std::string::npos) {
    return Status::Error(what + ": not a socket name");
  }
  if (address.size() > room) {
    return Status::Error(what + ": longer than " + std::to_string(room) + " bytes");
  }
  std::memcpy(sa.sun_path, address.data(), address.size());
  if (abstract) sa.sun_path[0] = '\0';
  const auto len =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size() + (abstract ? 0 : 1));

  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return Status::Errno(what + ": socket", errno);
  const int on = 1;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_PASSCRED, &on, sizeof on) != 0) {
    return Status::Errno(what + ": SO_PASSCRED", errno);
  }
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa), len) != 0) {
    return Status::Errno(what + ": bind", errno);
  }
  return NotifySocket(std::move(fd), std::move(address), !abstract);
}

NotifySocket::NotifySocket(NotifySocket&& other) noexcept
    : fd_(std::move(other.fd_)),
      address_(std::move(other.address_)),
      owns_file_(std::exchange(other.owns_file_, false)) {}

NotifySocket& NotifySocket::operator=(NotifySocket&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = std::move(other.fd_);
    address_ = std::move(other.address_);
    owns_file_ = std::exchange(other.owns_file_, false);
  }
  return *this;
}

NotifySocket::~NotifySocket() { Close(); }

void NotifySocket::Close() {
  if (owns_file_ && fd_) ::unlink(address_.c_str());
  owns_file_ = false;
  fd_.Reset();
}

std::vector<NotifyMessage> NotifySocket::ReadAll(size_t max_messages) {
  std::vector<NotifyMessage> out;
  char buf[kMaxNotifyBytes];
  alignas(
      cmsghdr) char control[CMSG_SPACE(sizeof(ucred)) + CMSG_SPACE(sizeof(int) * kMaxPassedFds)];
  for (size_t count = 0; count < max_messages && fd_;) {
    iovec iov{buf, sizeof buf};
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = control;
    mh.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(fd_.get(), &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;  // EAGAIN: drained; anything else: try again at the next wakeup
    }
    ++count;
    const std::optional<ucred> cred = TakeControl(&mh);
    if ((mh.msg_flags & MSG_TRUNC) != 0 || !cred || cred->pid <= 0) continue;
    const std::string_view payload(buf, static_cast<size_t>(n));
    if (payload.find('\0') != std::string_view::npos) continue;  // as systemd does
    NotifyMessage msg;
    msg.pid = cred->pid;
    msg.uid = cred->uid;
    ParseNotifyPayload(payload, &msg);
    out.push_back(std::move(msg));
  }
  return out;
}

}  // namespace zsup
