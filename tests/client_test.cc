// client/client.h against the real zsupd: the late-join handshake misses
// nothing published after Join() returns, and a zsupd that is not there is
// reported as such within the timeout.
#include "client/client.h"

#include <atomic>
#include <thread>

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

// A zsupd stand-in whose every pong is preceded by a flood of matching
// events: what Join() keeps of them is bounded by max_early_bytes.
TEST_F(ClientTest, EventsBeforeThePongAreKeptWithinTheirBound) {
  zmq::socket_t rep(context_, zmq::socket_type::rep), pub(context_, zmq::socket_type::pub);
  rep.bind("inproc://control");
  pub.bind("inproc://events");
  rep.set(zmq::sockopt::rcvtimeo, 20);
  std::atomic<bool> stop{false};
  std::thread fake([&] {
    int64_t seq = 0;
    while (!stop) {
      zmq::message_t request;
      if (!rep.recv(request)) continue;
      auto decoded = DecodeRequest(request.to_string_view());
      const auto* ping = decoded.ok() ? std::get_if<PingRequest>(&*decoded) : nullptr;
      for (int i = 0; i < 64; ++i) {
        std::string line = EncodeOutputEvent({"flood", std::string(1000, 'x'), ++seq, 1.0});
        pub.send(zmq::buffer(std::string_view("stdout/flood")), zmq::send_flags::sndmore);
        pub.send(zmq::buffer(line));
      }
      if (ping && ping->pong) {
        pub.send(zmq::buffer("pong/" + *ping->pong), zmq::send_flags::sndmore);
        pub.send(zmq::buffer(EncodePongEvent({*ping->pong, 1.0})));
      }
      rep.send(zmq::buffer(EncodePingReply({"fake", 1, 2})));
    }
  });
  std::vector<std::string> told;
  client::SubscriberOptions options;
  options.max_early_bytes = 10 * 1024;
  options.on_skip = [&told](const std::string& why) { told.push_back(why); };
  client::Control control(context_, "inproc://control");
  auto sub = client::Subscriber::Join(context_, "inproc://events", control, {"stdout/"},
                                      seconds(10), options);
  stop = true;
  fake.join();
  ASSERT_TRUE(sub.ok()) << sub.error();
  size_t kept = 0;
  for (;;) {
    auto e = (*sub)->Next(milliseconds(0));
    ASSERT_TRUE(e.ok()) << e.error();
    if (!e->has_value()) break;
    ++kept;
  }
  // Each event is about 1,050 bytes: nine fit in 10 KiB, 55 of a flood do not.
  EXPECT_GE(kept, 1u);
  EXPECT_LE(kept, 9u);
  EXPECT_GE((*sub)->skipped(), 55);
  ASSERT_EQ(told.size(), 1u) << "told once, however many are dropped";
  EXPECT_NE(told[0].find("more than 10240 bytes"), std::string::npos) << told[0];
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
