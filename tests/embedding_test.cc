// The embedding API (supervisor/supervisor.h) in a real program,
// tests/hooked_zsupd.cc: hooks see every line in order, a hook returning
// false suppresses the echo and the later hooks (Zeek's `break`) but not
// the published event.
#include "tests/daemon_fixture.h"

namespace zsup::testing {
namespace {

class EmbeddingTest : public DaemonTest {
 protected:
  void SetUp() override {
    DaemonTest::SetUp();
    set_daemon_binary(HookedZsupdPath());
  }
  bool LogHas(const std::string& text) { return Log().find(text) != std::string::npos; }
};

TEST_F(EmbeddingTest, AHookReturningFalseSuppressesTheEchoAndLaterHooksButNotTheEvent) {
  StartDaemon();
  EXPECT_TRUE(LogHas("is_supervisor=1")) << Log();
  auto sub = Subscribe({"stdout/w1"});
  NodeConfig c;
  c.name = "w1";
  c.command = {"/bin/sh", "-c", "echo secret one; echo shown two; echo shown three >&2; sleep 60"};
  ASSERT_TRUE(Create(c).ok());

  // Published whatever the hooks said, in order.
  for (const char* expected : {"secret one", "shown two"}) {
    auto e = sub->Next();
    ASSERT_TRUE(e.has_value()) << expected << " was not published";
    EXPECT_EQ(std::get<OutputEvent>(e->payload).msg, expected);
  }
  ASSERT_TRUE(WaitUntil([&] { return LogHas("[w1] shown two") && LogHas("[w1] shown three"); }))
      << Log();
  EXPECT_TRUE(LogHas("hook2 w1: shown two"));
  EXPECT_TRUE(LogHas("stderr-hook w1: shown three"));
  // "secret one" came first, so by now its hooks have run: the first said
  // false, so no echo and no second hook.
  EXPECT_FALSE(LogHas("[w1] secret one")) << Log();
  EXPECT_FALSE(LogHas("hook2 w1: secret one")) << Log();
}

}  // namespace
}  // namespace zsup::testing
