// The delivery policy of Publisher (publisher.h) against a real SUB socket
// over inproc, with time passed in: a subscriber that does not read holds
// events back up to the stall limit, then loses them; one that catches up
// gets everything.
#include "supervisor/publisher.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace zsup {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kHwm = 10;  // inproc: a subscriber's queue holds sndhwm + rcvhwm

class PublisherTest : public ::testing::Test {
 protected:
  void Start(Duration stall_limit) {
    Start(Publisher::Options{kHwm, 1 << 20, stall_limit, cut_off_, {}});
  }
  void Start(Publisher::Options options) {
    auto p = Publisher::Bind(context_, "inproc://events", std::move(options));
    ASSERT_TRUE(p.ok()) << p.error();
    publisher_ = std::move(*p);
    sub_.set(zmq::sockopt::rcvhwm, kHwm);
    sub_.set(zmq::sockopt::subscribe, "");
    sub_.connect("inproc://events");
    // The subscription reaches the PUB socket asynchronously: publish until
    // one arrives, then drop the probes.
    const auto deadline = std::chrono::steady_clock::now() + seconds(10);
    bool subscribed = false;
    while (!subscribed && std::chrono::steady_clock::now() < deadline) {
      publisher_->Publish("sync", "x");
      subscribed = !Receive(milliseconds(10)).empty();
    }
    ASSERT_TRUE(subscribed);
    while (!Receive(milliseconds(50)).empty()) {
    }
  }

  // The payload of the next event, or "" when none arrives in time.
  std::string Receive(milliseconds timeout) {
    zmq::pollitem_t item{sub_.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, timeout) <= 0) return "";
    zmq::message_t topic, payload;
    EXPECT_TRUE(sub_.recv(topic));
    EXPECT_TRUE(topic.more());
    EXPECT_TRUE(sub_.recv(payload));
    return payload.to_string();
  }

  // Everything the subscriber has queued, in order.
  std::vector<std::string> Drain() {
    std::vector<std::string> got;
    for (std::string p = Receive(milliseconds(50)); !p.empty(); p = Receive(milliseconds(50))) {
      got.push_back(p);
    }
    return got;
  }

  void PublishNumbered(int from, int to) {
    for (int i = from; i < to; ++i) publisher_->Publish("stdout/n", std::to_string(i));
  }

  static std::vector<std::string> Numbers(int from, int to) {
    std::vector<std::string> v;
    for (int i = from; i < to; ++i) v.push_back(std::to_string(i));
    return v;
  }

  zmq::context_t context_;
  std::function<size_t(bool)> cut_off_;
  zmq::socket_t sub_{context_, zmq::socket_type::sub};
  std::unique_ptr<Publisher> publisher_;
  TimePoint t0_ = SteadyNow();
};

TEST_F(PublisherTest, AFullSubscriberStallsInsteadOfLosing) {
  Start(seconds(1));
  PublishNumbered(0, 100);
  EXPECT_TRUE(publisher_->stalled());
  EXPECT_GT(publisher_->backlog(), 0u);
  EXPECT_LT(publisher_->backlog(), 100u);
  ASSERT_TRUE(publisher_->NextDeadline().has_value());

  // The subscriber reads, the publisher retries: everything, in order.
  std::vector<std::string> got;
  TimePoint now = t0_;
  for (int round = 0; round < 100 && got.size() < 100; ++round) {
    for (std::string& p : Drain()) got.push_back(std::move(p));
    publisher_->Flush(now);
    now += Publisher::kRetryInterval;
  }
  EXPECT_EQ(got, Numbers(0, 100));
  EXPECT_EQ(publisher_->mode(), Publisher::Mode::kLossless);
  EXPECT_FALSE(publisher_->NextDeadline().has_value());
}

TEST_F(PublisherTest, EventsPublishedWhileStalledWaitBehindTheBacklog) {
  Start(seconds(1));
  PublishNumbered(0, 50);
  ASSERT_TRUE(publisher_->stalled());
  publisher_->Flush(t0_);
  PublishNumbered(50, 60);  // e.g. a node_status: it must not overtake
  std::vector<std::string> got;
  TimePoint now = t0_;
  for (int round = 0; round < 100 && got.size() < 60; ++round) {
    for (std::string& p : Drain()) got.push_back(std::move(p));
    now += Publisher::kRetryInterval;
    publisher_->Flush(now);
  }
  EXPECT_EQ(got, Numbers(0, 60));
}

TEST_F(PublisherTest, ASubscriberThatStopsReadingLosesEventsAfterTheStallLimit) {
  Start(milliseconds(500));
  PublishNumbered(0, 100);
  publisher_->Flush(t0_);
  publisher_->Flush(t0_ + milliseconds(499));
  EXPECT_TRUE(publisher_->stalled());
  publisher_->Flush(t0_ + milliseconds(500));
  EXPECT_EQ(publisher_->mode(), Publisher::Mode::kLossy);
  EXPECT_EQ(publisher_->backlog(), 0u);

  PublishNumbered(100, 200);  // never stalls now
  EXPECT_FALSE(publisher_->stalled());
  std::vector<std::string> got = Drain();
  ASSERT_FALSE(got.empty());
  EXPECT_LT(got.size(), 200u);
  // What it got is the start, without reordering.
  EXPECT_EQ(got, Numbers(0, static_cast<int>(got.size())));
}

TEST_F(PublisherTest, BackToLosslessOnceTheSubscriberCaughtUp) {
  Start(milliseconds(500));
  PublishNumbered(0, 100);
  publisher_->Flush(t0_);
  publisher_->Flush(t0_ + seconds(1));
  ASSERT_EQ(publisher_->mode(), Publisher::Mode::kLossy);
  Drain();

  // Still lossy until the probe interval has passed...
  publisher_->Flush(t0_ + seconds(1) + milliseconds(10));
  publisher_->Publish("stdout/n", "a");
  EXPECT_EQ(publisher_->mode(), Publisher::Mode::kLossy);
  // ...then the next event goes out without drops, and so does what follows.
  publisher_->Flush(t0_ + seconds(1) + Publisher::kProbeInterval);
  publisher_->Publish("stdout/n", "b");
  EXPECT_EQ(publisher_->mode(), Publisher::Mode::kLossless);
  PublishNumbered(0, 100);
  EXPECT_TRUE(publisher_->stalled());
}

TEST_F(PublisherTest, AtTheStallLimitSubscribersThatDoNotReadAreCutOffAndTheRestStaysLossless) {
  int asked = 0;
  cut_off_ = [&](bool probation_only) {
    if (probation_only) return size_t{0};
    return ++asked == 1 ? size_t{1} : size_t{0};
  };
  Start(milliseconds(500));
  PublishNumbered(0, 100);
  publisher_->Flush(t0_);
  publisher_->Flush(t0_ + milliseconds(500));
  EXPECT_EQ(asked, 1);
  EXPECT_EQ(publisher_->cut_off_count(), 1u);
  EXPECT_TRUE(publisher_->stalled()) << "cutting one off must not drop for the others";
  // The stall timer starts over; still stuck then and none to cut: lossy.
  publisher_->Flush(t0_ + milliseconds(999));
  EXPECT_TRUE(publisher_->stalled());
  publisher_->Flush(t0_ + milliseconds(1000));
  EXPECT_EQ(asked, 2);
  EXPECT_EQ(publisher_->mode(), Publisher::Mode::kLossy);
}

TEST_F(PublisherTest, ProgressRestartsTheStallLimit) {
  Start(milliseconds(500));
  PublishNumbered(0, 100);
  publisher_->Flush(t0_);
  Drain();  // a slow reader: some room now
  publisher_->Flush(t0_ + milliseconds(400));
  publisher_->Flush(t0_ + milliseconds(800));
  EXPECT_NE(publisher_->mode(), Publisher::Mode::kLossy);
}

TEST_F(PublisherTest, TheHighWaterMarkFollowsTheLargestEventToBoundBytes) {
  Start(Publisher::Options{1000, 64 << 10, seconds(1), {}, {}});
  EXPECT_EQ(publisher_->high_water_mark(), 256);  // 64 KiB / 256 B
  publisher_->Publish("stdout/n", std::string(10000, 'x'));
  EXPECT_EQ(publisher_->high_water_mark(), 6);  // 64 KiB / 10 KB
  publisher_->Flush(t0_ + Publisher::kHwmWindow);
  EXPECT_EQ(publisher_->high_water_mark(), 6) << "seen within the window";
  publisher_->Publish("stdout/n", "short");
  publisher_->Flush(t0_ + 2 * Publisher::kHwmWindow);
  EXPECT_EQ(publisher_->high_water_mark(), 256);
}

// libzmq's pipe counts its free room from its reader's reports, sent every
// half mark read: lowering the mark under a reader that has read everything
// leaves the pipe looking full, with nothing left to read that would bring
// the next report.
class StaleMarkTest : public PublisherTest {
 protected:
  // Publishes 700 short events, all read, then a long one that lowers the
  // mark; returns what arrives of the long one.
  std::string LongEventAfterShortOnes(bool repair) {
    Publisher::Options options{1000, 1 << 20, seconds(1), {}, {}};
    if (repair) options.backlogged = [] { return false; };
    Start(options);
    EXPECT_EQ(publisher_->high_water_mark(), 1000);
    // The reader reported once, at half the mark (plus rcvhwm, on inproc);
    // the pipe believes ~190 events are still in it.
    for (int i = 0; i < 7; ++i) {
      PublishNumbered(0, 100);
      EXPECT_EQ(Drain().size(), 100u);
    }
    publisher_->Publish("stdout/n", std::string(200 << 10, 'x'));  // mark: 1 MiB / 200 KiB
    EXPECT_LT(publisher_->high_water_mark(), 10);
    TimePoint now = t0_ + Publisher::kHwmWindow / 2;
    for (int i = 0; i < 20; ++i, now += milliseconds(1)) publisher_->Flush(now);
    return Receive(milliseconds(200));
  }
};

TEST_F(StaleMarkTest, WithoutTheRepairTheLongEventIsStuck) {
  // What the repair is for (if libzmq changes, this shows it).
  EXPECT_EQ(LongEventAfterShortOnes(false), "");
  EXPECT_TRUE(publisher_->stalled());
}

TEST_F(StaleMarkTest, WhenNothingIsBackloggedTheMarkGoesBackUpAndTheEventGoesOut) {
  EXPECT_EQ(LongEventAfterShortOnes(true).size(), size_t{200 << 10});
  EXPECT_EQ(publisher_->stale_repairs(), 1u);
  EXPECT_FALSE(publisher_->stalled());
  // Not lowered again within the window.
  publisher_->Publish("stdout/n", std::string(200 << 10, 'y'));
  EXPECT_EQ(publisher_->high_water_mark(), 1000);
  EXPECT_EQ(Receive(milliseconds(200)).size(), size_t{200 << 10});
}

TEST_F(PublisherTest, AZeroStallLimitNeverHoldsOutputBack) {
  Start(Duration::zero());
  PublishNumbered(0, 100);
  EXPECT_FALSE(publisher_->stalled());
  EXPECT_EQ(publisher_->mode(), Publisher::Mode::kLossy);
  publisher_->Flush(t0_ + seconds(10));
  publisher_->Publish("stdout/n", "x");
  EXPECT_EQ(publisher_->mode(), Publisher::Mode::kLossy);  // no probes either
  EXPECT_LT(Drain().size(), 100u);
}

TEST_F(PublisherTest, CloseSendsTheBacklogWithoutWaiting) {
  Start(seconds(1));
  PublishNumbered(0, 100);
  ASSERT_TRUE(publisher_->stalled());
  publisher_->Close(milliseconds(0));
  EXPECT_EQ(publisher_->backlog(), 0u);
  EXPECT_EQ(publisher_->mode(), Publisher::Mode::kLossy);
}

TEST_F(PublisherTest, ABatchIsOneMessageAndStallsLikeAnyOther) {
  Start(seconds(1));
  const std::vector<std::string_view> lines{"one", "two", "three"};
  publisher_->OutputBatch("stdout/n", "n", lines, 7, 1.5);
  publisher_->OutputBatch("stdout/n", "n", {}, 10, 1.5);  // nothing
  auto batch = DecodeOutputBatch("stdout/n", Receive(seconds(5)));
  ASSERT_TRUE(batch.ok()) << batch.error();
  EXPECT_EQ(*batch, (OutputBatchEvent{"n", 7, 1.5, {"one", "two", "three"}}));
  EXPECT_EQ(Receive(milliseconds(50)), "");

  // A full queue holds batches back in order, as every event.
  for (int i = 0; i < 100; ++i) publisher_->OutputBatch("stdout/n", "n", lines, 1 + 3 * i, 2.0);
  ASSERT_TRUE(publisher_->stalled());
  int64_t next = 1;
  for (int rounds = 0; next < 301 && rounds < 1000; ++rounds) {
    for (const std::string& payload : Drain()) {
      auto b = DecodeOutputBatch("stdout/n", payload);
      ASSERT_TRUE(b.ok()) << b.error();
      EXPECT_EQ(b->seq, next);
      next = b->seq + static_cast<int64_t>(b->msgs.size());
    }
    publisher_->Flush(t0_ + milliseconds(rounds));
  }
  EXPECT_EQ(next, 301);
  EXPECT_FALSE(publisher_->stalled());
}

}  // namespace
}  // namespace zsup
