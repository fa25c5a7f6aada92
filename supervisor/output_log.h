// The recent output of every node, kept in memory for the `tail` command so
// a late subscriber can show history before following live.
//
// Per node and stream: the newest kMaxLines lines, and never more than
// kMaxBytes of text (a node of huge lines cannot exhaust memory). Lines are
// lost when zsupd restarts. Single-threaded (zsupd's loop).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "broker/messages.h"

namespace zsup {

// A circular buffer of lines whose slots keep their string capacity, so that
// in the steady state adding a line copies it without allocating.
class OutputRing {
 public:
  static constexpr size_t kMaxLines = 1000;
  static constexpr size_t kMaxBytes = 1 << 20;

  void Add(std::string_view msg, int64_t seq, double at);
  // The newest min(n, size()) lines, oldest first.
  std::vector<OutputLine> Tail(size_t n) const;
  size_t size() const { return size_; }
  size_t bytes() const { return bytes_; }
  // The seq of the last line added (kept or not); 0 before the first.
  int64_t last_seq() const { return last_seq_; }
  // How many of `count` lines from `first_seq` on were added already: the
  // stem sends a frame again after a link reset when its acknowledgement did
  // not arrive. A first_seq of 1 is a fresh count (a new stem), never a repeat.
  size_t Repeated(int64_t first_seq, size_t count) const;

 private:
  OutputLine& Slot(size_t i) { return slots_[(head_ + i) % kMaxLines]; }
  const OutputLine& Slot(size_t i) const { return slots_[(head_ + i) % kMaxLines]; }
  void DropOldest();

  std::vector<OutputLine> slots_;  // grows to kMaxLines, then is reused
  size_t head_ = 0;                // index of the oldest line
  size_t size_ = 0;
  size_t bytes_ = 0;
  int64_t last_seq_ = 0;
};

class OutputLog {
 public:
  // The ring of one node's stream, created on first use. Stable until Forget().
  OutputRing& Ring(const std::string& node, Stream stream);
  std::vector<OutputLine> Tail(const std::string& node, Stream stream, size_t n) const;
  void Forget(const std::string& node);

 private:
  std::map<std::string, OutputRing> rings_[2];
};

}  // namespace zsup
