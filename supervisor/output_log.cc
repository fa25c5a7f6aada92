#include "supervisor/output_log.h"

#include <algorithm>

namespace zsup {

namespace {

// A slot that once held a huge line gives its memory back when reused for
// a small one, so 1000 slots cannot pin 1000 huge buffers.
constexpr size_t kKeepCapacity = 4096;

}  // namespace

size_t OutputRing::Repeated(int64_t first_seq, size_t count) const {
  if (first_seq <= 1 || first_seq > last_seq_) return 0;
  return std::min(count, static_cast<size_t>(last_seq_ - first_seq + 1));
}

void OutputRing::Add(std::string_view msg, int64_t seq, double at) {
  if (size_ == kMaxLines) DropOldest();
  while (size_ > 0 && bytes_ + msg.size() > kMaxBytes) DropOldest();
  if (slots_.size() < kMaxLines) slots_.emplace_back();
  OutputLine& slot = Slot(size_);
  if (slot.msg.capacity() > kKeepCapacity && msg.size() <= kKeepCapacity) {
    std::string().swap(slot.msg);
  }
  slot.msg.assign(msg);
  slot.seq = seq;
  slot.at = at;
  last_seq_ = seq;
  ++size_;
  bytes_ += msg.size();
}

void OutputRing::DropOldest() {
  bytes_ -= Slot(0).msg.size();
  head_ = (head_ + 1) % kMaxLines;
  --size_;
}

std::vector<OutputLine> OutputRing::Tail(size_t n) const {
  const size_t count = std::min(n, size_);
  std::vector<OutputLine> out;
  out.reserve(count);
  for (size_t i = size_ - count; i < size_; ++i) out.push_back(Slot(i));
  return out;
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
