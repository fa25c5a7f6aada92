#include "supervisor/output_log.h"

namespace zsup {

void OutputRing::Add(std::string_view msg, int64_t seq, double at) {
  bytes_ += msg.size();
  lines_.push_back(OutputLine{std::string(msg), seq, at});
  while (lines_.size() > kMaxLines || (bytes_ > kMaxBytes && lines_.size() > 1)) {
    bytes_ -= lines_.front().msg.size();
    lines_.pop_front();
  }
}

std::vector<OutputLine> OutputRing::Tail(size_t n) const {
  const size_t count = std::min(n, lines_.size());
  return std::vector<OutputLine>(lines_.end() - static_cast<std::ptrdiff_t>(count), lines_.end());
}

OutputRing& OutputLog::Ring(const std::string& node, Stream stream) {
  return rings_[stream == Stream::kStdout ? 0 : 1][node];
}

std::vector<OutputLine> OutputLog::Tail(const std::string& node, Stream stream, size_t n) const {
  const auto& rings = rings_[stream == Stream::kStdout ? 0 : 1];
  auto it = rings.find(node);
  if (it == rings.end()) return {};
  return it->second.Tail(n);
}

void OutputLog::Forget(const std::string& node) {
  rings_[0].erase(node);
  rings_[1].erase(node);
}

}  // namespace zsup
