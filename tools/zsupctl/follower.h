// The loop of the subcommands that follow (tail -f, events): the next event
// of any of their subscriptions (one per zsupd), fairly, until interrupted.
// Meanwhile it pings each zsupd on a REQ socket of its own (liveness.h
// decides when) and says on stderr, once, when one stops answering —
// "zsupctl: zsupd at EP is not answering; still trying" — and when it
// answers again, "zsupctl: connected again". The subscriptions reconnect
// by themselves; nothing else changes. The poll waits until the earliest
// ping deadline, so there is no busy loop and no sleep.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>
#include <zmq.hpp>

#include "broker/codec.h"
#include "broker/status.h"
#include "tools/zsupctl/client.h"
#include "tools/zsupctl/liveness.h"
#include "tools/zsupctl/subscription.h"

namespace zsup::ctl {

class Follower {
 public:
  struct Source {
    Subscription* sub = nullptr;  // not owned
    Client* client = nullptr;     // not owned: its context, endpoint, keys and timeout
    std::string host;             // with --hosts, named in the notes
  };

  explicit Follower(std::vector<Source> sources);

  // The index of the source that delivered and its event, or nullopt once
  // `stop_fd` (a signalfd) is readable. An error only when a socket fails.
  Result<std::optional<std::pair<size_t, Event>>> Next(int stop_fd);

 private:
  struct Watch {
    Source source;
    Liveness liveness;
    std::optional<zmq::socket_t> probe;  // the pings' REQ socket
    bool pending = false;                // a ping is out on it, unanswered
  };
  void Apply(Watch& w, const LivenessActions& actions);
  void SendPing(Watch& w);
  // Takes the answer to the ping out, if it came.
  void ReadAnswer(Watch& w, Liveness::Clock::time_point now);
  static void Say(const Watch& w, const std::string& what);

  std::vector<Watch> watches_;
  size_t turn_ = 0;  // fairness: the source asked first next time
};

// Says on stderr that `node`, followed, is on no zsupd (`several`: on none
// of the hosts) yet, and that zsupctl waits for it: it may be created later.
void NoteAwaitedNode(const std::string& node, bool several);

}  // namespace zsup::ctl
