#include "tools/zsupctl/line_cursor.h"

namespace zsup::ctl {

void LineCursor::SetHistoryEnd(std::optional<int64_t> last_seq) {
  skip_through_ = last_seq;
  last_ = last_seq;
}

LineCursor::Decision LineCursor::Accept(int64_t seq) {
  if (skip_through_) {
    if (seq <= *skip_through_) return {.print = false};
    skip_through_.reset();
  }
  if (last_ && seq > 1 && seq <= *last_) return {.print = false};  // sent again
  Decision d;
  if (last_ && seq > *last_ + 1) d.missed = seq - *last_ - 1;
  last_ = seq;
  return d;
}

}  // namespace zsup::ctl
