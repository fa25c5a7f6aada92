// CURVE security for zsupd's tcp endpoints (PROTOCOL.md, "Remote access"):
// the server keypair in DIR/curve/, the client keys it admits, and the ZAP
// handler that admits them.
//
// DIR/curve/server.key (public, 0644) and server.secret (0600) are made on
// first start, with the empty directories authorized/ (full access) and
// readonly/ (ping, status, tail and events). Each file in those directories
// holds one client's public key (broker/curve.h's format). The ZAP handler
// answers libzmq's authentication requests on inproc://zeromq.zap.01, from
// zsupd's loop (a REP socket it polls; it never blocks), with user id "full"
// or "readonly", which the control socket reads from each request
// ("User-Id" message property). inotify on the two directories makes the
// loop re-read them when a file changes; a key removed is refused at the
// client's next connection (an established one keeps its session).
//
// Bounds: at most kMaxKeys keys (the rest are ignored, with a warning); key
// files larger than 64 KiB are skipped. Single-threaded (zsupd's loop).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

#include "broker/curve.h"
#include "broker/fd.h"
#include "broker/status.h"

namespace zsup {

inline constexpr size_t kMaxKeys = 10000;
inline constexpr const char* kZapDomain = "zsup";
inline constexpr const char* kUserFull = "full";
inline constexpr const char* kUserReadOnly = "readonly";

enum class Access { kNone, kReadOnly, kFull };

// The admitted keys, by their 32 raw bytes. A key in both directories has
// full access.
class KeyRing {
 public:
  static KeyRing Load(const std::string& curve_dir, std::vector<std::string>* warnings);
  Access Find(std::string_view key32) const;
  size_t full() const { return full_; }
  size_t read_only() const { return keys_.size() - full_; }

 private:
  std::map<std::string, Access, std::less<>> keys_;
  size_t full_ = 0;
};

// DIR/curve's keypair, created (with authorized/ and readonly/) when
// missing. `created` is set when this call made them.
Result<CurveKeyPair> LoadOrCreateServerKeys(const std::string& curve_dir, bool* created);

class ZapHandler {
 public:
  // Binds the ZAP endpoint in `context` (before any CURVE socket binds),
  // reads the keys, and watches the directories.
  static Result<std::unique_ptr<ZapHandler>> Start(zmq::context_t& context, std::string curve_dir);

  zmq::socket_t& socket() { return socket_; }
  int watch_fd() const { return inotify_.get(); }
  // Answers every waiting authentication request.
  void Serve();
  // The directories changed: re-reads them (and logs what it found).
  void Reload();
  // How many handshakes were admitted / refused (for logs and metrics).
  int64_t admitted() const { return admitted_; }
  int64_t refused() const { return refused_; }

 private:
  ZapHandler(zmq::socket_t socket, std::string curve_dir)
      : socket_(std::move(socket)), dir_(std::move(curve_dir)) {}
  Status Watch();
  void Answer(const std::vector<zmq::message_t>& request);

  zmq::socket_t socket_;
  std::string dir_;
  UniqueFd inotify_;
  KeyRing keys_;
  int64_t admitted_ = 0, refused_ = 0;
};

}  // namespace zsup
