// What the stem holds under each node name, as zsupd knows it: one small
// state machine per name, fed zsupd's commands and the stem's reports, and
// returning what to tell the stem. Pure data, no sockets and no clock; the
// Daemon carries the actions out (and keeps the observed process state in
// NodeTable). Single-threaded.
//
//   unknown ──Welcome──▶ absent | held | leaving      (the stem says what it has)
//   absent  ──create──▶ held            [send create]
//   held    ──destroy─▶ leaving         [send destroy]
//   held    ──restart─▶ held            [send restart]
//   leaving ──create──▶ leaving, then create once the old process is gone
//   leaving ──gone────▶ absent, or held [send create] when a create waits
//   held    ──replace─▶ leaving, then create once gone   [send destroy]
//   held    ──defer───▶ gated           (zsupd holds a create back: StartGate)
//   gated   ──release─▶ held            [send create]
//   gated   ──destroy─▶ absent
//   any     ──stem lost──▶ unknown      (a new stem starts with nothing)
//
// Until a stem's Welcome (after it started, or after the link was reset)
// the slots are unknown: commands then pass `welcomed = false`; creates and
// destroys change only the desired state (the Welcome reconciles it) and a
// restart is remembered and applied to the node if the Welcome lists it.
// Whether the stem has welcomed is StemClient's to know, not this class's.
// The stem holds a name until it says it forgot it (NodeUpdate `gone`, or a
// NodeExited whose next state is `exited`); a replacement is created only
// then, so two processes of one name never run together.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace zsup {

class StemSlots {
 public:
  enum class Send { kCreate, kDestroy, kRestart };
  struct Action {
    Send send;
    std::string name;
    bool operator==(const Action&) const = default;
  };
  using Actions = std::vector<Action>;

  // What a stem's Welcome says of one name.
  enum class Reported { kNothing, kSameConfig, kOtherConfig };

  // ---- zsupd's commands (the desired state has already changed) ----
  Actions Create(const std::string& name, bool welcomed);
  // `forgets_at_once`: a stem before link version 2 drops a node without a
  // process at once and says nothing.
  Actions Destroy(const std::string& name, bool welcomed, bool forgets_at_once = false);
  Actions Restart(const std::string& name, bool welcomed);
  // A restart through the start gate: the stem destroys the node and it is
  // created again once gone (the create may then be deferred). Like Restart
  // for a name the stem does not hold.
  Actions Replace(const std::string& name, bool welcomed);
  // The create just returned for `name` is held back (its stage waits):
  // held -> gated. Release() sends it.
  void Defer(const std::string& name);
  Actions Release(const std::string& name);
  const std::set<std::string>& gated() const { return gated_; }
  // The create just returned for `name` is not sent after all (the node may
  // no longer run: it failed meanwhile): held -> absent.
  void Drop(const std::string& name);

  // ---- what the stem says ----
  // A Welcome: BeginWelcome(), then Welcome() for every name that is
  // desired (zsupd has a config for it) or reported, then EndWelcome().
  void BeginWelcome() {
    slots_.clear();
    gated_.clear();
  }
  Actions Welcome(const std::string& name, bool desired, Reported reported);
  void EndWelcome() { restart_before_welcome_.clear(); }
  // The stem forgot the name.
  Actions Gone(const std::string& name);
  // The stem is gone: a new one starts with nothing.
  void StemLost();

  bool held(const std::string& name) const;     // the stem has that name, with the desired config
  bool leaving(const std::string& name) const;  // the stem still has an old process of that name
  bool is_gated(const std::string& name) const;

 private:
  enum class State { kAbsent, kHeld, kLeaving, kGated };
  struct Slot {
    State state = State::kAbsent;
    bool create_when_gone = false;
  };

  std::map<std::string, Slot> slots_;  // names the stem holds (absent: not listed)
  std::map<std::string, bool> restart_before_welcome_;
  std::set<std::string> gated_;  // the names in kGated
  void Ungate(const std::string& name) { gated_.erase(name); }
};

}  // namespace zsup
