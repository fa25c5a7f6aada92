#include "supervisor/connections.h"

#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <zmq.h>

#include <atomic>
#include <cstring>
#include <utility>

#include "broker/log.h"

namespace zsup {
namespace {

constexpr int kEvents = ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CLOSED;

std::string MonitorEndpoint() {
  static std::atomic<int> next{0};
  return "inproc://zsupd-monitor-" + std::to_string(next++);
}

}  // namespace

Result<std::unique_ptr<Connections>> Connections::Watch(zmq::context_t& context,
                                                        zmq::socket_t& socket,
                                                        const std::string& name) {
  const std::string endpoint = MonitorEndpoint();
  if (zmq_socket_monitor(socket.handle(), endpoint.c_str(), kEvents) != 0) {
    return Status::Error("cannot monitor the " + name + " socket: " + zmq_strerror(zmq_errno()));
  }
  try {
    zmq::socket_t monitor(context, zmq::socket_type::pair);
    monitor.set(zmq::sockopt::linger, 0);
    monitor.connect(endpoint);
    return std::unique_ptr<Connections>(new Connections(std::move(monitor), name));
  } catch (const zmq::error_t& e) {
    return Status::Error("cannot monitor the " + name + " socket: " + e.what());
  }
}

Connections::Connections(zmq::socket_t monitor, std::string name)
    : monitor_(std::move(monitor)), name_(std::move(name)) {}

Connections::~Connections() = default;

bool Connections::Same(int fd, ino_t ino) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_ino == ino;
}

std::vector<int> Connections::TakeAccepted() { return std::exchange(accepted_, {}); }

void Connections::Drain() {
  for (;;) {
    zmq::message_t head, address;
    try {
      if (!monitor_.recv(head, zmq::recv_flags::dontwait)) break;
      if (head.more()) (void)monitor_.recv(address, zmq::recv_flags::dontwait);
    } catch (const zmq::error_t& e) {
      LogError("monitor of the " + name_ + " socket: " + e.what());
      break;
    }
    if (head.size() < 6) continue;
    uint16_t event = 0;
    int32_t value = 0;
    std::memcpy(&event, head.data(), sizeof event);
    std::memcpy(&value, static_cast<const char*>(head.data()) + 2, sizeof value);
    if (event == ZMQ_EVENT_ACCEPTED) {
      struct stat st {};
      if (::fstat(value, &st) == 0 && S_ISSOCK(st.st_mode)) {
        Connection c{st.st_ino, 0, false};
        ucred cred{};
        socklen_t len = sizeof cred;
        if (::getsockopt(value, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.pid > 0) {
          c.peer = cred.pid;
          auto cut = cut_peers_.find(cred.pid);
          c.probation = cut != cut_peers_.end() && now_ - cut->second < kProbation;
        }
        open_[value] = c;
      }
      accepted_.push_back(value);
    } else if (event == ZMQ_EVENT_DISCONNECTED || event == ZMQ_EVENT_CLOSED) {
      open_.erase(value);
    }
  }
}

bool Connections::AnyBacklogged() {
  Drain();
  for (const auto& [fd, c] : open_) {
    int unread = 0;
    if (::ioctl(fd, SIOCOUTQ, &unread) == 0 && unread > 0 && Same(fd, c.ino)) return true;
  }
  return false;
}

bool Connections::CutOff(int fd) {
  auto it = open_.find(fd);
  return it != open_.end() && Same(fd, it->second.ino) && ::shutdown(fd, SHUT_RDWR) == 0;
}

size_t Connections::CutOffBacklogged(bool on_probation_only, TimePoint now) {
  now_ = now;
  std::erase_if(cut_peers_, [now](const auto& p) { return now - p.second >= kProbation; });
  Drain();  // drop what has gone meanwhile
  size_t n = 0;
  for (const auto& [fd, c] : open_) {
    if (on_probation_only && !c.probation) continue;
    int unread = 0;
    if (::ioctl(fd, SIOCOUTQ, &unread) != 0 || unread <= 0 || !Same(fd, c.ino)) continue;
    if (::shutdown(fd, SHUT_RDWR) != 0) continue;
    ++n;
    if (c.peer > 0) cut_peers_[c.peer] = now;
  }
  return n;
}

}  // namespace zsup
