// Start order (docs/lifecycle.md, "Start order"): a node of stage N is
// started only once every node of a lower stage that should run (desired up,
// not failed or exited) is ready, or has had its ready_timeout to become
// so. The wait of a lower node is counted from when zsupd last asked for it
// to start (NodeView::start_wanted_at); a node zsupd did not start (one the
// stem revives by itself, one adopted while not ready) counts from when the
// waiting node was asked for. So a lower stage that never becomes ready
// holds the rest for its ready_timeout, never for ever.
//
// A lower node whose own create is still held back (`gated`) blocks with no
// end: it has not even started. A snapshot of a NodeTable at one moment:
// build one, ask it about any number of nodes, throw it away. Pure: no
// clock, no I/O; single-threaded.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "broker/clock.h"
#include "supervisor/node_table.h"

namespace zsup {

// Default of NodeConfig `ready_timeout`.
inline constexpr double kDefaultReadyTimeoutSeconds = 60.0;

class StartGate {
 public:
  StartGate(const NodeTable& table, TimePoint now, const std::set<std::string>& gated = {});

  struct Decision {
    bool wait = false;      // hold the start back
    std::string waits_for;  // wait: a lower-stage node it waits for
    // wait: when the wait ends at the latest; TimePoint::max() while a
    // lower node is itself held back (it ends with that node's release).
    TimePoint until{};
    // !wait, yet a lower-stage node is not ready: its time ran out
    // (zsupd logs a warning naming it).
    std::optional<std::string> timed_out_on;
  };
  Decision Decide(const NodeView& node) const;

  // Whether any node of a lower stage should run: then a restart of `node`
  // goes through the gate (stop, then a create held until it opens).
  bool HasLowerStage(const NodeView& node) const;

 private:
  // Every node of stages up to `stage` that should run and is not ready,
  // folded: the latest end of an anchored wait, the longest timeout of an
  // unanchored one (each with a name), any name at all.
  struct Prefix {
    int64_t stage = 0;
    std::optional<TimePoint> anchored_end;
    std::string anchored_name;
    std::optional<Duration> unanchored_timeout;
    std::string unanchored_name;
    std::string any_name;
    std::string gated_name;  // a lower node not yet started
  };
  const Prefix* Below(int64_t stage) const;  // the fold of every stage < `stage`

  TimePoint now_;
  std::vector<Prefix> prefixes_;  // by stage, ascending
  std::optional<int64_t> lowest_running_stage_;
};

int64_t StageOf(const NodeView& node);
Duration ReadyTimeoutOf(const NodeView& node);

}  // namespace zsup
