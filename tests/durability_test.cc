// (being written)
#include "tests/daemon_fixture.h"

namespace zsup::testing {
namespace {

class Placeholder_durability_test : public DaemonTest {};

TEST_F(Placeholder_durability_test, DaemonStarts) {
  StartDaemon();
  EXPECT_TRUE(Call(EncodeRequest(PingRequest{})).ok());
}

}  // namespace
}  // namespace zsup::testing
