#include "supervisor/curve_auth.h"

#include <dirent.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "broker/log.h"

namespace zsup {
namespace {

constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";
constexpr int kMaxZapRequestsPerWakeup = 256;

Status MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::Errno("cannot create " + path, errno);
  }
  return Status::Ok();
}

// The file names in `dir`, without dot files and editors' leftovers.
std::vector<std::string> KeyFiles(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name.empty() || name[0] == '.' || name.back() == '~' || name.ends_with(".tmp") ||
          name.ends_with(".swp")) {
        continue;
      }
      names.push_back(name);
    }
    ::closedir(d);
  }
  return names;
}

}  // namespace

KeyRing KeyRing::Load(const std::string& curve_dir, std::vector<std::string>* warnings) {
  KeyRing ring;
  for (auto [sub, access] : {std::pair{"/authorized", Access::kFull},
                             std::pair{"/readonly", Access::kReadOnly}}) {
    const std::string dir = curve_dir + sub;
    for (const std::string& name : KeyFiles(dir)) {
      if (ring.keys_.size() >= kMaxKeys) {
        warnings->push_back("more than " + std::to_string(kMaxKeys) + " client keys; the rest " +
                            "are ignored");
        return ring;
      }
      auto key = ReadKeyFile(dir + "/" + name);
      if (!key.ok()) {
        warnings->push_back(key.error() + ": skipped");
        continue;
      }
      auto [it, added] = ring.keys_.emplace(Z85Decode32(*key), access);
      if (!added && access == Access::kFull) it->second = Access::kFull;
    }
  }
  for (const auto& [key, access] : ring.keys_) ring.full_ += access == Access::kFull;
  return ring;
}

Access KeyRing::Find(std::string_view key32) const {
  auto it = keys_.find(key32);
  return it == keys_.end() ? Access::kNone : it->second;
}

Result<CurveKeyPair> LoadOrCreateServerKeys(const std::string& curve_dir, bool* created) {
  *created = false;
  Status s = MakeDir(curve_dir);
  if (s.ok()) s = MakeDir(curve_dir + "/authorized");
  if (s.ok()) s = MakeDir(curve_dir + "/readonly");
  if (!s.ok()) return s;
  const std::string pub = curve_dir + "/server.key", sec = curve_dir + "/server.secret";
  if (::access(sec.c_str(), F_OK) != 0) {
    auto pair = NewCurveKeyPair();
    if (!pair.ok()) return pair.status();
    // The secret first: a crash in between leaves a secret without its
    // public half, which the next start derives again.
    s = WriteKeyFile(sec, pair->secret_z85, 0600);
    if (!s.ok()) return s;
    ::unlink(pub.c_str());
    *created = true;
  }
  auto secret = ReadKeyFile(sec);
  if (!secret.ok()) return secret.status();
  auto derived = CurvePublicFromSecret(*secret);
  if (!derived.ok()) return derived.status().Prefixed(sec);
  auto written = ReadKeyFile(pub);
  if (!written.ok()) {
    s = WriteKeyFile(pub, *derived, 0644);
    if (!s.ok()) return s;
  } else if (*written != *derived) {
    return Status::Error(pub + " does not belong to " + sec +
                         " (remove server.key and zsupd writes it again)");
  }
  return CurveKeyPair{*derived, *secret};
}

Result<std::unique_ptr<ZapHandler>> ZapHandler::Start(zmq::context_t& context,
                                                      std::string curve_dir) {
  std::unique_ptr<ZapHandler> zap;
  try {
    zmq::socket_t socket(context, zmq::socket_type::rep);
    socket.set(zmq::sockopt::linger, 0);
    socket.bind(kZapEndpoint);
    zap.reset(new ZapHandler(std::move(socket), std::move(curve_dir)));
  } catch (const zmq::error_t& e) {
    return Status::Error(std::string("cannot start the CURVE authenticator: ") + e.what());
  }
  Status s = zap->Watch();
  if (!s.ok()) return s;
  zap->Reload();
  return zap;
}

Status ZapHandler::Watch() {
  inotify_.Reset(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!inotify_) return Status::Errno("inotify_init1", errno);
  constexpr uint32_t kMask = IN_CREATE | IN_DELETE | IN_CLOSE_WRITE | IN_MOVED_TO |
                             IN_MOVED_FROM | IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF |
                             IN_MOVE_SELF;
  for (const char* sub : {"/authorized", "/readonly"}) {
    const std::string dir = dir_ + sub;
    if (::inotify_add_watch(inotify_.get(), dir.c_str(), kMask) < 0) {
      return Status::Errno("cannot watch " + dir, errno);
    }
  }
  return Status::Ok();
}

void ZapHandler::Reload() {
  // Drain the notifications first: changes after this read trigger another.
  alignas(inotify_event) char buf[4096];
  bool lost_watch = false;
  for (ssize_t n; inotify_ && (n = ::read(inotify_.get(), buf, sizeof buf)) > 0;) {
    for (ssize_t at = 0; at + static_cast<ssize_t>(sizeof(inotify_event)) <= n;) {
      const auto* e = reinterpret_cast<const inotify_event*>(buf + at);
      lost_watch |= (e->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) != 0;
      at += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
    }
  }
  if (lost_watch) {
    // A key directory was removed or moved away: make it again, watch anew.
    for (const char* sub : {"/authorized", "/readonly"}) {
      const std::string dir = dir_ + sub;
      if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
        LogError("CURVE: cannot create " + dir + ": " + std::strerror(errno));
      }
    }
    if (Status s = Watch(); !s.ok()) LogError("CURVE: " + s.message());
  }
  std::vector<std::string> warnings;
  keys_ = KeyRing::Load(dir_, &warnings);
  for (const std::string& w : warnings) LogWarning("CURVE: " + w);
  LogInfo("CURVE: " + std::to_string(keys_.full()) + " authorized and " +
          std::to_string(keys_.read_only()) + " read-only client key(s) in " + dir_);
}

void ZapHandler::Serve() {
  for (int i = 0; i < kMaxZapRequestsPerWakeup; ++i) {
    std::vector<zmq::message_t> request;
    try {
      zmq::message_t frame;
      if (!socket_.recv(frame, zmq::recv_flags::dontwait)) return;
      request.push_back(std::move(frame));
      while (request.back().more()) {
        zmq::message_t next;
        if (!socket_.recv(next, zmq::recv_flags::dontwait)) break;
        request.push_back(std::move(next));
      }
    } catch (const zmq::error_t& e) {
      LogError(std::string("CURVE authenticator: ") + e.what());
      return;
    }
    Answer(request);
  }
}

void ZapHandler::Answer(const std::vector<zmq::message_t>& request) {
  // RFC 27: version, request id, domain, address, identity, mechanism,
  // credentials (CURVE: the client's 32-byte public key).
  std::string id = request.size() > 1 ? request[1].to_string() : "";
  Access access = Access::kNone;
  std::string address = request.size() > 3 ? request[3].to_string() : "?";
  if (request.size() >= 7 && request[0].to_string_view() == "1.0" &&
      request[5].to_string_view() == "CURVE" && request[6].size() == 32) {
    access = keys_.Find(request[6].to_string_view());
  }
  const bool ok = access != Access::kNone;
  ok ? ++admitted_ : ++refused_;
  if (!ok) LogWarning("CURVE: refused a client from " + address + ": its key is not authorized");
  const char* user = access == Access::kFull ? kUserFull : kUserReadOnly;
  try {
    socket_.send(zmq::str_buffer("1.0"), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(id), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(std::string(ok ? "200" : "400")), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(std::string(ok ? "OK" : "key not authorized")),
                 zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(std::string(ok ? user : "")), zmq::send_flags::sndmore);
    socket_.send(zmq::str_buffer(""), zmq::send_flags::none);
  } catch (const zmq::error_t& e) {
    LogError(std::string("CURVE authenticator: ") + e.what());
  }
}

}  // namespace zsup
