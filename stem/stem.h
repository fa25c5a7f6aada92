// zsup-stem: the process that owns the nodes. Public contract of stem/.
//
// zsupd starts it (fork/exec, in its own session); it binds the PAIR link at
// `endpoint`, holds DIR/stem.lock (flock, holding its pid) for its whole life
// so zsupd can tell whether a stem is running, and runs one zmq::poll loop:
// the link, a signalfd (SIGCHLD, SIGTERM, SIGINT, SIGHUP), a pidfd of the
// current zsupd, and every node's pipes. Nothing in the loop sleeps; timers
// (revival, SIGKILL escalation, heartbeats, grace) come from the poll timeout.
//
// Lifecycle guarantees:
// - Nodes get SIGKILL if the stem dies (PR_SET_PDEATHSIG); the stem is a
//   child subreaper and reaps everything, daemonized grandchildren included.
// - When zsupd is lost (its pidfd fires, or 5 s without a message), the
//   stem resets its socket, keeps the nodes running and queues their output
//   (up to a bound, then stops reading so the nodes block) until a zsupd says
//   Hello; then it answers with a Welcome listing every node. Without a
//   Hello within the grace period it stops every node and exits.
// - Shutdown (message, SIGTERM or SIGINT) stops every node (SIGTERM, SIGKILL
//   after the stop timeout), sends Bye, exits 0.
#pragma once

#include <string>

#include "broker/clock.h"
#include "broker/stem_protocol.h"

namespace zsup {

struct StemOptions {
  std::string state_dir;  // holds stem.lock and nodes/ (oversized node JSON)
  std::string endpoint;   // default ipc://<state_dir>/stem.sock
  stem::Settings settings;  // until the first Hello replaces them
  // Every timer (revival, stop escalation, readiness, heartbeats, grace) and
  // every `at`; tests pass a ManualClock. Must outlive the stem.
  const Clock* clock = &SystemClock();
};

// Runs the stem until shutdown. Returns the process exit code; errors are
// logged to stderr.
int RunStem(const StemOptions& options);

}  // namespace zsup
