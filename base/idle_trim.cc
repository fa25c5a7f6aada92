#include "base/idle_trim.h"

#include <malloc.h>

// Resolved when the program links mimalloc (zsup_fast_malloc in
// CMakeLists.txt), null otherwise: one build of this file serves both.
extern "C" void mi_collect(bool force) __attribute__((weak));

namespace zsup {

void ReleaseFreeMemory() {
  if (mi_collect != nullptr) {
    mi_collect(true);
  } else {
    ::malloc_trim(0);
  }
}

bool IdleTrim::Tick(Clock::time_point now) {
  if (!due_ || now < *due_) return false;
  due_.reset();
  release_();
  return true;
}

}  // namespace zsup
