#include "supervisor/start_gate.h"

#include <algorithm>
#include <map>

namespace zsup {

int64_t StageOf(const NodeView& node) { return node.config.stage(); }

Duration ReadyTimeoutOf(const NodeView& node) {
  return FromSeconds(node.config.ready_timeout().value_or(kDefaultReadyTimeoutSeconds));
}

StartGate::StartGate(const NodeTable& table, TimePoint now, const std::set<std::string>& gated)
    : now_(now) {
  std::map<int64_t, Prefix> by_stage;
  for (const auto& [name, view] : table.nodes()) {
    if (!view.ShouldRun()) continue;
    const int64_t stage = StageOf(view);
    if (!lowest_running_stage_ || stage < *lowest_running_stage_) lowest_running_stage_ = stage;
    if (view.ready) continue;
    Prefix& p = by_stage[stage];
    p.stage = stage;
    if (p.any_name.empty()) p.any_name = name;
    if (p.gated_name.empty() && gated.contains(name)) p.gated_name = name;
    const Duration timeout = ReadyTimeoutOf(view);
    if (view.start_wanted_at) {
      const TimePoint end = *view.start_wanted_at + timeout;
      if (end > now && (!p.anchored_end || end > *p.anchored_end)) {
        p.anchored_end = end;
        p.anchored_name = name;
      }
    } else if (!p.unanchored_timeout || timeout > *p.unanchored_timeout) {
      p.unanchored_timeout = timeout;
      p.unanchored_name = name;
    }
  }
  // Fold each stage into the ones above it.
  Prefix acc;
  for (auto& [stage, p] : by_stage) {
    if (p.anchored_end && (!acc.anchored_end || *p.anchored_end > *acc.anchored_end)) {
      acc.anchored_end = p.anchored_end;
      acc.anchored_name = p.anchored_name;
    }
    if (p.unanchored_timeout &&
        (!acc.unanchored_timeout || *p.unanchored_timeout > *acc.unanchored_timeout)) {
      acc.unanchored_timeout = p.unanchored_timeout;
      acc.unanchored_name = p.unanchored_name;
    }
    if (acc.any_name.empty()) acc.any_name = p.any_name;
    if (acc.gated_name.empty()) acc.gated_name = p.gated_name;
    acc.stage = stage;
    prefixes_.push_back(acc);
  }
}

const StartGate::Prefix* StartGate::Below(int64_t stage) const {
  // The last prefix whose stage is < `stage`.
  auto it = std::lower_bound(prefixes_.begin(), prefixes_.end(), stage,
                             [](const Prefix& p, int64_t s) { return p.stage < s; });
  if (it == prefixes_.begin()) return nullptr;
  return &*(it - 1);
}

StartGate::Decision StartGate::Decide(const NodeView& node) const {
  Decision d;
  const Prefix* below = Below(StageOf(node));
  if (below == nullptr) return d;
  if (!below->gated_name.empty()) {
    d.wait = true;
    d.waits_for = below->gated_name;
    d.until = TimePoint::max();
    return d;
  }
  const TimePoint asked = node.start_wanted_at.value_or(now_);
  std::optional<TimePoint> until;
  std::string name;
  if (below->anchored_end && *below->anchored_end > now_) {
    until = below->anchored_end;
    name = below->anchored_name;
  }
  if (below->unanchored_timeout) {
    const TimePoint end = asked + *below->unanchored_timeout;
    if (end > now_ && (!until || end > *until)) {
      until = end;
      name = below->unanchored_name;
    }
  }
  if (until) {
    d.wait = true;
    d.waits_for = name;
    d.until = *until;
  } else {
    d.timed_out_on = below->any_name;
  }
  return d;
}

bool StartGate::HasLowerStage(const NodeView& node) const {
  return lowest_running_stage_ && *lowest_running_stage_ < StageOf(node);
}

}  // namespace zsup
