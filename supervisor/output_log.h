// The recent output of every node, kept in memory for the `tail` command so
// a late subscriber can show history before following live.
//
// Per node and stream: the newest kMaxLines lines, and never more than
// kMaxBytes of text (a node of huge lines cannot exhaust memory). Lines are
// lost when zsupd restarts. Single-threaded (zsupd's loop).
#pragma once

#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "broker/messages.h"

namespace zsup {

class OutputRing {
 public:
  static constexpr size_t kMaxLines = 1000;
  static constexpr size_t kMaxBytes = 1 << 20;

  void Add(std::string_view msg, int64_t seq, double at);
  // The newest min(n, size()) lines, oldest first.
  std::vector<OutputLine> Tail(size_t n) const;
  size_t size() const { return lines_.size(); }
  size_t bytes() const { return bytes_; }

 private:
  std::deque<OutputLine> lines_;
  size_t bytes_ = 0;
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
