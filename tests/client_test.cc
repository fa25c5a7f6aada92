// client/client.h against the real zsupd: the late-join handshake misses
// nothing published after Join() returns, and a zsupd that is not there is
// reported as such within the timeout.
#include "client/client.h"

#include "tests/daemon_fixture.h"

namespace zsup::testing {
namespace {

class ClientTest : public DaemonTest {};

TEST_F(ClientTest, NothingPublishedAfterJoinIsMissed) {
  StartDaemon();
  client::Control control(context_, control_endpoint());
  // Each round joins and at once makes zsupd publish (a pong, which goes out
  // with the reply): a SUB socket that is merely connected misses many of
  // these, as its subscription has not reached zsupd yet (the slow joiner).
  for (int i = 0; i < 50; ++i) {
    const std::string token = "round-" + std::to_string(i);
    auto sub = client::Subscriber::Join(context_, events_endpoint(), control, {"pong/" + token},
                                        seconds(10));
    ASSERT_TRUE(sub.ok()) << sub.error();
    ASSERT_TRUE(control.Ping(token).ok());
    auto e = (*sub)->Next(seconds(5));
    ASSERT_TRUE(e.ok()) << e.error();
    ASSERT_TRUE(e->has_value()) << "round " << i << ": the event was missed";
    EXPECT_EQ(std::get<PongEvent>((**e).payload).node, token);
  }
  // And a node's own events, as a test or a client would wait for them.
  auto sub = client::Subscriber::Join(context_, events_endpoint(), control, {"node_status/n"},
                                      seconds(10));
  ASSERT_TRUE(sub.ok()) << sub.error();
  ASSERT_TRUE(control.Send(CreateRequest{TestNode("n")}).ok());
  auto e = (*sub)->Next(seconds(10));
  ASSERT_TRUE(e.ok() && e->has_value());
  EXPECT_EQ(std::get<NodeStatusEvent>((**e).payload).node, "n");
}

TEST_F(ClientTest, AMissingZsupdIsReportedWithinTheTimeout) {
  client::ControlOptions options;
  options.timeout = milliseconds(300);
  client::Control control(context_, "ipc://" + dir() + "/control.sock", options);
  auto ping = control.Ping();
  ASSERT_FALSE(ping.ok());
  EXPECT_EQ(ping.status().code(), Status::Code::kUnreachable);
  EXPECT_NE(ping.error().find("zsupd is not answering at ipc://"), std::string::npos);
  const auto t0 = std::chrono::steady_clock::now();
  auto sub = client::Subscriber::Join(context_, "ipc://" + dir() + "/events.sock", control,
                                      {"node_status/"}, milliseconds(700));
  EXPECT_FALSE(sub.ok());
  EXPECT_EQ(sub.status().code(), Status::Code::kUnreachable);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, seconds(3));
}

TEST_F(ClientTest, AnUnknownPongTokenFormIsRefused) {
  StartDaemon();
  client::Control control(context_, control_endpoint());
  auto ping = control.Ping("not/a/token");
  ASSERT_FALSE(ping.ok());
  EXPECT_NE(ping.error().find("pong: must be"), std::string::npos);
}

}  // namespace
}  // namespace zsup::testing
