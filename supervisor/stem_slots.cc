#include "supervisor/stem_slots.h"


namespace zsup {

bool StemSlots::held(const std::string& name) const {
  auto it = slots_.find(name);
  return it != slots_.end() && it->second.state == State::kHeld;
}

bool StemSlots::leaving(const std::string& name) const {
  auto it = slots_.find(name);
  return it != slots_.end() && it->second.state == State::kLeaving;
}

bool StemSlots::is_gated(const std::string& name) const {
  auto it = slots_.find(name);
  return it != slots_.end() && it->second.state == State::kGated;
}

void StemSlots::Drop(const std::string& name) {
  auto it = slots_.find(name);
  if (it != slots_.end() && it->second.state == State::kHeld) slots_.erase(it);
}

void StemSlots::Defer(const std::string& name) {
  auto it = slots_.find(name);
  if (it == slots_.end() || it->second.state != State::kHeld) return;
  it->second.state = State::kGated;
  gated_.insert(name);
}

StemSlots::Actions StemSlots::Release(const std::string& name) {
  auto it = slots_.find(name);
  if (it == slots_.end() || it->second.state != State::kGated) return {};
  it->second.state = State::kHeld;
  Ungate(name);
  return {{Send::kCreate, name}};
}

StemSlots::Actions StemSlots::Replace(const std::string& name, bool welcomed) {
  if (!welcomed || !held(name)) return Restart(name, welcomed);
  slots_[name] = Slot{State::kLeaving, true};
  return {{Send::kDestroy, name}};
}

StemSlots::Actions StemSlots::Create(const std::string& name, bool welcomed) {
  if (!welcomed) return {};  // the Welcome will find it desired
  auto it = slots_.find(name);
  if (it == slots_.end()) {
    slots_[name].state = State::kHeld;
    return {{Send::kCreate, name}};
  }
  if (it->second.state == State::kLeaving) it->second.create_when_gone = true;
  return {};
}

StemSlots::Actions StemSlots::Destroy(const std::string& name, bool welcomed,
                                      bool forgets_at_once) {
  restart_before_welcome_.erase(name);
  if (!welcomed) return {};  // the Welcome will find it not desired
  auto it = slots_.find(name);
  if (it == slots_.end()) return {};
  Slot& slot = it->second;
  slot.create_when_gone = false;
  if (slot.state == State::kGated) {  // never sent: nothing to tell the stem
    slots_.erase(it);
    Ungate(name);
    return {};
  }
  if (slot.state != State::kHeld) return {};
  if (forgets_at_once) {
    slots_.erase(it);
  } else {
    slot.state = State::kLeaving;
  }
  return {{Send::kDestroy, name}};
}

StemSlots::Actions StemSlots::Restart(const std::string& name, bool welcomed) {
  if (!welcomed) {
    restart_before_welcome_[name] = true;
    return {};
  }
  // Absent or leaving: a fresh process is about to be started anyway.
  if (!held(name)) return {};
  return {{Send::kRestart, name}};
}

StemSlots::Actions StemSlots::Welcome(const std::string& name, bool desired, Reported reported) {
  const bool restart = restart_before_welcome_.erase(name) > 0;
  if (reported == Reported::kNothing) {
    slots_.erase(name);
    if (!desired) return {};
    slots_[name].state = State::kHeld;
    return {{Send::kCreate, name}};
  }
  if (desired && reported == Reported::kSameConfig) {
    slots_[name].state = State::kHeld;  // adopted
    if (restart) return {{Send::kRestart, name}};
    return {};
  }
  // Not desired, or running with another config: stop it; a desired one is
  // created again once the old process is gone.
  slots_[name] = Slot{State::kLeaving, desired};
  return {{Send::kDestroy, name}};
}

StemSlots::Actions StemSlots::Gone(const std::string& name) {
  auto it = slots_.find(name);
  if (it == slots_.end()) return {};
  const bool create = it->second.create_when_gone;
  slots_.erase(it);
  if (!create) return {};
  slots_[name].state = State::kHeld;
  return {{Send::kCreate, name}};
}

void StemSlots::StemLost() {
  slots_.clear();
  gated_.clear();
  restart_before_welcome_.clear();
}

}  // namespace zsup
