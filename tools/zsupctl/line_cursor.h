// Stitches `tail`'s history to the live output events of one node and stream.
//
// `tail -f` subscribes first and fetches the history second, so nothing is
// lost in between; the price is that the last history lines may also arrive
// live. They are recognised by `seq` (counted up by one per node and stream):
// live lines up to the last history seq are duplicates, until the first
// later one arrives. Gaps in `seq` (zsupd was restarting, or a subscriber
// fell behind zsupd's high-water mark) are reported so the caller can fetch
// the missing lines. A seq that goes down to 1 (a new stem counts from 1
// again) is a fresh start; one that goes down to anything else repeats a
// line printed already (after a zsupd kill -9 the stem sends the next zsupd
// what the dead one had not acknowledged) and is not printed again.
#pragma once

#include <cstdint>
#include <optional>

namespace zsup::ctl {

class LineCursor {
 public:
  // The seq of the last history line, or nullopt when there was none.
  void SetHistoryEnd(std::optional<int64_t> last_seq);

  struct Decision {
    bool print = true;
    int64_t missed = 0;  // lines between the previous one and this one
  };
  Decision Accept(int64_t seq);

 private:
  std::optional<int64_t> skip_through_;
  std::optional<int64_t> last_;
};

}  // namespace zsup::ctl
