// Liveness on a fake clock, and LinkQueue over a real PAIR link.
#include "broker/link_peer.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

namespace zsup {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(LivenessTest, AHeartbeatOnceAnIntervalAndSilenceAfterTheLimit) {
  Liveness l(seconds(1), seconds(5));
  const TimePoint t0{seconds(100)};
  l.Start(t0);
  EXPECT_FALSE(l.HeartbeatDue(t0 + milliseconds(999)));
  EXPECT_TRUE(l.HeartbeatDue(t0 + seconds(1)));
  EXPECT_FALSE(l.HeartbeatDue(t0 + seconds(1))) << "once per interval";
  EXPECT_EQ(l.deadline(), t0 + seconds(2));
  EXPECT_FALSE(l.Silent(t0 + seconds(5)));
  EXPECT_TRUE(l.Silent(t0 + seconds(5) + milliseconds(1)));
  l.Heard(t0 + seconds(4));
  EXPECT_FALSE(l.Silent(t0 + seconds(9)));
  EXPECT_EQ(l.silence_deadline(), t0 + seconds(9) + milliseconds(1));
}

// A bound and a connected Link in a temporary directory.
struct LinkPair {
  LinkPair() {
    char tmpl[] = "/tmp/zlq-XXXXXX";
    EXPECT_NE(::mkdtemp(tmpl), nullptr);
    dir = tmpl;
    const std::string endpoint = "ipc://" + dir + "/link.sock";
    bound = std::move(Link::Create(context, endpoint, Link::Role::kBind).value());
    connected = std::move(Link::Create(context, endpoint, Link::Role::kConnect).value());
  }
  ~LinkPair() { std::filesystem::remove_all(dir); }
  // Flushes `q` into `connected` until `n` frames arrived at `bound`.
  std::vector<std::string> Deliver(LinkQueue& q, size_t n) {
    std::vector<std::string> got;
    const auto deadline = std::chrono::steady_clock::now() + seconds(5);
    while (got.size() < n && std::chrono::steady_clock::now() < deadline) {
      EXPECT_TRUE(q.Flush(*connected).ok());
      zmq::pollitem_t item{bound->socket().handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, milliseconds(20));
      while (true) {
        auto m = bound->TryReceive();
        if (!m.ok() || !m->has_value()) break;
        got.push_back((**m).to_string());
      }
    }
    return got;
  }
  std::string dir;
  zmq::context_t context{1};
  std::unique_ptr<Link> bound, connected;
};

TEST(LinkQueueTest, FramesGoOutInOrderAndTheByteCountFollows) {
  LinkPair link;
  LinkQueue q;
  q.Push("one");
  q.Push("three");
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q.bytes(), 8u);
  // Until the peer is there, sends may block: the frames stay queued.
  EXPECT_EQ(link.Deliver(q, 2), (std::vector<std::string>{"one", "three"}));
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
  q.Push("x");
  q.Clear();
  EXPECT_EQ(q.bytes(), 0u);
}

TEST(LinkQueueTest, FramesWithAnIdAreKeptUntilAcknowledgedAndRequeuedInOrder) {
  LinkPair link;
  LinkQueue q;
  q.Push("out1", 1);
  q.Push("log");  // no id: never kept
  q.Push("out2", 2);
  q.Push("out3", 3);
  EXPECT_EQ(link.Deliver(q, 4), (std::vector<std::string>{"out1", "log", "out2", "out3"}));
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.unacked(), 3u);
  EXPECT_EQ(q.bytes(), 12u) << "what waits for an acknowledgement counts against the bound";
  q.Acked(1);
  EXPECT_EQ(q.unacked(), 2u);
  EXPECT_EQ(q.bytes(), 8u);
  q.Acked(0);  // an older acknowledgement changes nothing
  EXPECT_EQ(q.unacked(), 2u);
  // The peer is lost: the unacknowledged frames go first, before newer ones.
  q.Push("out4", 4);
  q.Requeue();
  EXPECT_EQ(q.unacked(), 0u);
  EXPECT_EQ(q.size(), 3u);
  EXPECT_EQ(q.bytes(), 12u);
  EXPECT_EQ(link.Deliver(q, 3), (std::vector<std::string>{"out2", "out3", "out4"}));
  q.Acked(4);
  EXPECT_EQ(q.bytes(), 0u);
}

TEST(LinkQueueTest, APeerThatNeverAcknowledgesGetsNothingKept) {
  LinkPair link;
  LinkQueue q;
  q.Push("out1", 1);
  EXPECT_EQ(link.Deliver(q, 1).size(), 1u);
  q.Retain(false);  // forgets what was kept
  EXPECT_EQ(q.unacked(), 0u);
  EXPECT_EQ(q.bytes(), 0u);
  q.Push("out2", 2);
  EXPECT_EQ(link.Deliver(q, 1).size(), 1u);
  EXPECT_EQ(q.unacked(), 0u);
  q.Requeue();
  EXPECT_TRUE(q.empty()) << "nothing to send again";
}

}  // namespace
}  // namespace zsup
