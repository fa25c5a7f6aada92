// (being written)
#include "tests/daemon_fixture.h"

namespace zsup::testing {
namespace {

class Placeholder_stem_integration_test : public DaemonTest {};

TEST_F(Placeholder_stem_integration_test, DaemonStarts) {
  StartDaemon();
  EXPECT_TRUE(Call(EncodeRequest(PingRequest{})).ok());
}

}  // namespace
}  // namespace zsup::testing
