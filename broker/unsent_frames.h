// DIR/stem.unsent: the link frames a stem could not hand to any zsupd before
// it exited (node exits, errors, its own log lines; never output). The stem
// writes the file as it exits without a zsupd that acknowledged its Bye; the
// next zsupd that finds the stem gone takes it (reads and removes it) and
// handles the frames as if they had arrived on the link, so that nodes the
// stem stopped on its own (its grace period ran out) still get their
// node_exit and last exit.
//
// Format: one msgpack array of bin frames, written to a temporary file and
// renamed, so a reader never sees half of it. Bounded by kMaxUnsentBytes.
#pragma once

#include <string>
#include <vector>

#include "broker/status.h"

namespace zsup::stem {

inline constexpr size_t kMaxUnsentBytes = 16 << 20;

std::string UnsentPath(const std::string& state_dir);

// Replaces the file with `frames` (0600). Nothing is written for no frames.
Status SaveUnsentFrames(const std::string& state_dir, const std::vector<std::string>& frames);

// The frames of the file, which is removed; empty when there is none.
Result<std::vector<std::string>> TakeUnsentFrames(const std::string& state_dir);

}  // namespace zsup::stem
