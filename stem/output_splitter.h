// Turns the bytes a node writes to one stream into lines.
//
// Lines end at '\n' (stripped); empty lines are dropped; a line longer than
// kMaxLine is cut into pieces of at most kMaxLine bytes (never inside a UTF-8
// sequence); invalid UTF-8 is replaced by U+FFFD so every line is a valid
// msgpack/JSON string. Flush() emits a final partial line (at exit).
// The sink gets string_views valid only during the call. Not thread-safe.
#pragma once

#include <cstring>
#include <string>
#include <string_view>

#include "broker/utf8.h"

namespace zsup {

class OutputSplitter {
 public:
  static constexpr size_t kMaxLine = 64 * 1024;

  template <typename Sink>
  void Feed(std::string_view data, Sink&& sink) {
    while (!data.empty()) {
      const void* nl = std::memchr(data.data(), '\n', data.size());
      if (nl == nullptr) {
        partial_.append(data);
        EmitLongPieces(sink);
        return;
      }
      const size_t len = static_cast<const char*>(nl) - data.data();
      if (partial_.empty() && len <= kMaxLine) {
        Emit(data.substr(0, len), sink);  // fast path: no copy
      } else {
        partial_.append(data.substr(0, len));
        EmitLongPieces(sink);
        Emit(partial_, sink);
        partial_.clear();
      }
      data.remove_prefix(len + 1);
    }
  }

  template <typename Sink>
  void Flush(Sink&& sink) {
    Emit(partial_, sink);
    partial_.clear();
  }

  size_t buffered() const { return partial_.size(); }

 private:
  template <typename Sink>
  void Emit(std::string_view line, Sink& sink) {
    if (line.empty()) return;
    sink(SanitizeUtf8(line, &scratch_));
  }

  // Emits kMaxLine-sized pieces while the partial line is longer than that.
  template <typename Sink>
  void EmitLongPieces(Sink& sink) {
    size_t start = 0;
    while (partial_.size() - start > kMaxLine) {
      std::string_view rest(partial_.data() + start, partial_.size() - start);
      size_t cut = Utf8CutPoint(rest, kMaxLine);
      if (cut == 0) cut = kMaxLine;
      Emit(rest.substr(0, cut), sink);
      start += cut;
    }
    if (start > 0) partial_.erase(0, start);
  }

  std::string partial_;
  std::string scratch_;
};

}  // namespace zsup
