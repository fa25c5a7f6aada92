// zsupd's side of the stem: finding or starting zsup-stem, the PAIR link to
// it, Hello/Welcome, heartbeats, and noticing when it dies.
//
// A stem that holds DIR/stem.lock is adopted (it outlived an earlier zsupd);
// otherwise one is forked and exec'd in its own session. Its death is seen
// through a pidfd, whether or not it is zsupd's child. The link is reset and
// Hello repeated when the stem stays silent for 5 s. Messages for the stem
// queue here until the link takes them. Never throws; single-threaded.
#pragma once

#include <sys/types.h>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "broker/clock.h"
#include "broker/fd.h"
#include "broker/link.h"
#include "broker/link_peer.h"
#include "broker/stem_protocol.h"

namespace zsup {

struct StemClientOptions {
  std::string state_dir;
  std::string stem_path;  // the zsup-stem binary
  stem::Settings settings;
};

class StemClient {
 public:
  StemClient(zmq::context_t& context, StemClientOptions options);

  // Adopts the running stem or starts one, then connects and says Hello.
  Status Connect(TimePoint now);
  // When a new stem may be started (stems that die young are not restarted
  // more than once a second).
  TimePoint earliest_restart() const { return earliest_restart_; }

  bool connected() const { return pidfd_.valid(); }
  bool adopted() const { return adopted_; }
  bool welcomed() const { return welcomed_; }
  // The link version agreed in the last Welcome (1 for a stem that predates
  // NodeUpdate).
  int64_t link_version() const { return link_version_; }
  pid_t pid() const { return pid_; }

  void Send(const stem::Message& message);

  // ---- loop integration ----
  zmq::socket_t* socket() { return link_ ? &link_->socket() : nullptr; }
  bool has_outbound() const { return !outbound_.empty(); }
  int pidfd() const { return pidfd_.get(); }
  // Hands the messages waiting on the link (at most `max`) to the callbacks,
  // in the order they came. Output is read in place (the view is valid only
  // during the call); everything else is decoded.
  struct Handlers {
    std::function<void(const stem::OutputView&)> output;
    std::function<void(stem::Message&)> message;
    std::function<bool()> blocked;  // checked before each message: true stops reading
  };
  void Receive(TimePoint now, size_t max, const Handlers& handlers);
  void Flush();
  // The pidfd fired (or SIGCHLD came): reaps the stem if it was our child.
  // Returns a description of its end when it is gone, nullopt if alive.
  std::optional<std::string> CheckExited();
  void Tick(TimePoint now);
  std::optional<TimePoint> NextDeadline() const;

 private:
  Status Spawn();
  void SayHello(TimePoint now);
  // Messages from the stem wait on the link, unread.
  bool InboundWaiting();

  zmq::context_t& context_;
  StemClientOptions options_;
  std::unique_ptr<Link> link_;
  UniqueFd pidfd_;
  pid_t pid_ = 0;
  bool child_ = false;
  bool adopted_ = false;
  bool welcomed_ = false;
  uint64_t link_generation_ = 0;  // rises with each new link (socket or stem)
  int64_t link_version_ = 1;
  Liveness liveness_;  // heartbeats once welcomed; silence at any time
  TimePoint next_hello_;
  TimePoint earliest_restart_;
  LinkQueue outbound_;
};

}  // namespace zsup
