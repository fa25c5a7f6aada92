#include "broker/clock.h"

namespace zsup {
namespace {

class SystemClockImpl final : public Clock {
 public:
  TimePoint Now() const override { return SteadyNow(); }
  double Wall() const override { return WallNow(); }
};

}  // namespace

const Clock& SystemClock() {
  static const SystemClockImpl clock;
  return clock;
}

}  // namespace zsup
