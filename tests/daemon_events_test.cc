// zsupd's events socket and output handling against real processes:
// node_status / node_exit on revival, stdout/stderr events in order with
// consecutive seq, prefix subscriptions, and the "[node] line" echo.
#include <signal.h>

#include <map>
#include <set>

#include "tests/daemon_fixture.h"

namespace zsup::testing {
namespace {

class DaemonEventsTest : public DaemonTest {
 protected:
  // Subscribes to `prefixes` and returns once the publisher applies them (a
  // PUB socket drops events for a subscription still on its way). The
  // subscriptions go out together on connect, so once an event for the
  // extra one, "node_status/probe", arrives, all are in effect. Leaves the
  // silent node "probe" running.
  std::unique_ptr<Subscriber> SubscribeSynced(std::vector<std::string> prefixes, int rcvhwm = 0) {
    prefixes.push_back("node_status/probe");
    auto sub = Subscribe(prefixes, rcvhwm);
    EXPECT_TRUE(Create(TestNode("probe")).ok());
    EXPECT_TRUE(sub->WaitFor([&](const Event&) { return sub->last_topic() == "node_status/probe"; })
                    .has_value())
        << "the subscription never took effect";
    return sub;
  }

  bool WaitTailEndsWith(const std::string& node, Stream stream, const std::string& last) {
    return WaitUntil([&] {
      auto lines = Tail(node, stream, 1);
      return lines.ok() && !lines->empty() && lines->back().msg == last;
    });
  }

  // The last line zsupd has taken from the stem, once it has stopped moving
  // for 100 ms (nullopt if it kept moving for 10 s).
  std::optional<OutputLine> LastLineOnceItStops(const std::string& node) {
    std::optional<OutputLine> last;
    int unchanged = 0;
    bool stopped = WaitUntil([&] {
      auto lines = Tail(node, Stream::kStdout, 1);
      if (!lines.ok() || lines->empty()) return false;
      unchanged = last && last->seq == lines->back().seq ? unchanged + 1 : 0;
      last = lines->back();
      return unchanged >= 10;
    });
    return stopped ? last : std::nullopt;
  }
};

const NodeStatusEvent* AsStatus(const std::optional<Event>& e) {
  return e && e->kind == EventKind::kNodeStatus ? &std::get<NodeStatusEvent>(e->payload) : nullptr;
}
const NodeExitEvent* AsExit(const std::optional<Event>& e) {
  return e && e->kind == EventKind::kNodeExit ? &std::get<NodeExitEvent>(e->payload) : nullptr;
}

TEST_F(DaemonEventsTest, CrashedNodeIsRevivedWithUncommandedExitThenStatus) {
  StartDaemon();
  auto sub = SubscribeSynced({"node_status/w1", "node_exit/w1"});
  ASSERT_TRUE(Create(TestNode("w1", {"--sleep-ms=100", "--exit=3"})).ok());

  auto first = sub->Next();
  const NodeStatusEvent* started = AsStatus(first);
  ASSERT_NE(started, nullptr) << "expected node_status first, got " << sub->last_topic();
  EXPECT_EQ(sub->last_topic(), "node_status/w1");
  EXPECT_EQ(started->node, "w1");
  EXPECT_EQ(started->restarts, 0);
  const int64_t first_pid = started->pid;

  auto second = sub->Next();
  const NodeExitEvent* exit = AsExit(second);
  ASSERT_NE(exit, nullptr) << "expected node_exit, got " << sub->last_topic();
  EXPECT_EQ(sub->last_topic(), "node_exit/w1");
  EXPECT_EQ(exit->pid, first_pid);
  EXPECT_EQ(exit->code, 3);
  EXPECT_FALSE(exit->signal.has_value());
  EXPECT_FALSE(exit->commanded);

  // Zeek's schedule: no sooner than 1 s after the previous start.
  auto third = sub->Next(seconds(10));
  const NodeStatusEvent* revived = AsStatus(third);
  ASSERT_NE(revived, nullptr) << "expected the revival's node_status, got " << sub->last_topic();
  EXPECT_EQ(revived->restarts, 1);
  EXPECT_NE(revived->pid, first_pid);
  EXPECT_GE(revived->at - started->at, 0.9);

  auto s = NodeStatusOf("w1");
  ASSERT_TRUE(s.has_value());
  EXPECT_GE(s->restarts.value_or(0), 1);
  ASSERT_TRUE(s->last_exit.has_value());
  EXPECT_EQ(s->last_exit->code, 3);
  ASSERT_TRUE(Destroy("w1").ok());
}

TEST_F(DaemonEventsTest, FiveHundredLinesArriveInOrderWithConsecutiveSeq) {
  StartDaemon();
  auto sub = SubscribeSynced({"stdout/"});
  ASSERT_TRUE(Create(TestNode("w1", {"--lines=500"})).ok());
  std::optional<int64_t> first_seq;
  for (int i = 1; i <= 500; ++i) {
    auto e = sub->Next(seconds(10));
    ASSERT_TRUE(e.has_value()) << "event " << i << " never came";
    ASSERT_EQ(e->kind, EventKind::kStdout);
    ASSERT_EQ(sub->last_topic(), "stdout/w1");
    const auto& out = std::get<OutputEvent>(e->payload);
    ASSERT_EQ(out.node, "w1");
    ASSERT_EQ(out.msg, "line " + std::to_string(i));
    if (!first_seq) first_seq = out.seq;
    ASSERT_EQ(out.seq, *first_seq + i - 1) << "a gap or a reordering at line " << i;
    EXPECT_GT(out.at, 1.6e9);
  }
  // The same lines, with the same seq, in the history.
  auto tail = Tail("w1", Stream::kStdout, 500);
  ASSERT_TRUE(tail.ok()) << tail.error();
  ASSERT_EQ(tail->size(), 500u);
  EXPECT_EQ(tail->front().seq, *first_seq);
  EXPECT_EQ(tail->back().msg, "line 500");
}

TEST_F(DaemonEventsTest, ASubscriberThatFallsBehindHoldsOutputBackAndMissesNothing) {
  StartDaemon({"--no-echo", "--events-hwm", "50", "--events-stall-limit", "60"});
  auto sub = SubscribeSynced({"stdout/w1"}, 50);
  constexpr int kLines = 20000;
  ASSERT_TRUE(Create(TestNode("w1", {"--lines=" + std::to_string(kLines), "--burst"})).ok());

  // Not reading: zsupd stops taking output from the stem well before the end.
  std::optional<OutputLine> held = LastLineOnceItStops("w1");
  ASSERT_TRUE(held.has_value()) << "output never stopped moving";
  EXPECT_NE(held->msg, "line " + std::to_string(kLines)) << "nothing was held back";

  // Reading: every line, in order, no gap.
  for (int i = 1; i <= kLines; ++i) {
    auto e = sub->Next(seconds(10));
    ASSERT_TRUE(e.has_value()) << "line " << i << " never came";
    ASSERT_EQ(e->kind, EventKind::kStdout);
    const auto& out = std::get<OutputEvent>(e->payload);
    ASSERT_EQ(out.msg, "line " + std::to_string(i)) << "a gap or a reordering";
  }
}

TEST_F(DaemonEventsTest, ASubscriberThatStopsReadingHoldsOutputBackOnlyUntilTheStallLimit) {
  StartDaemon({"--no-echo", "--events-hwm", "50", "--events-stall-limit", "0.2"});
  auto stuck = SubscribeSynced({"stdout/w1"}, 50);
  constexpr int kLines = 20000;
  ASSERT_TRUE(Create(TestNode("w1", {"--lines=" + std::to_string(kLines), "--burst"})).ok());
  ASSERT_TRUE(WaitTailEndsWith("w1", Stream::kStdout, "line " + std::to_string(kLines)))
      << "a subscriber that never reads blocked the output for good";
  EXPECT_NE(Log().find("cut off 1 subscriber(s)"), std::string::npos) << Log();

  // It got the start of the output, in order, and lost some of the rest.
  int received = 0;
  int64_t previous = -1;
  while (auto e = stuck->Next(milliseconds(500))) {
    const auto& out = std::get<OutputEvent>(e->payload);
    if (received == 0) {
      EXPECT_EQ(out.msg, "line 1");
    }
    ASSERT_GT(out.seq, previous) << "reordered";
    previous = out.seq;
    ++received;
  }
  EXPECT_GT(received, 0);
  EXPECT_LT(received, kLines);
}

// Long lines lower the subscribers' high-water mark (publisher.h). A pipe
// whose reader had already read everything before it learnt the lower mark
// must not look full for good.
TEST_F(DaemonEventsTest, LongLinesAfterManyShortOnesStillArrive) {
  StartDaemon({"--no-echo"});
  auto sub = SubscribeSynced({"stdout/"});
  constexpr int kShort = 120000;  // not a multiple of the reader's notification interval
  ASSERT_TRUE(Create(TestNode("a", {"--lines=" + std::to_string(kShort), "--burst"})).ok());
  for (int i = 1; i <= kShort; ++i) {
    auto e = sub->Next(seconds(10));
    ASSERT_TRUE(e.has_value()) << "short line " << i << " never came";
  }
  ASSERT_TRUE(Create(TestNode("b", {"--lines=20", "--line-bytes=20000"})).ok());
  for (int i = 1; i <= 20; ++i) {
    auto e = sub->Next(seconds(5));
    ASSERT_TRUE(e.has_value()) << "long line " << i << " never came\n" << Log();
    const auto& out = std::get<OutputEvent>(e->payload);
    ASSERT_EQ(out.node, "b");
    ASSERT_TRUE(out.msg.starts_with("line " + std::to_string(i) + " ")) << "a long line was lost";
  }
}

TEST_F(DaemonEventsTest, StderrLinesArriveOnTheirOwnTopicWithTheirOwnSeq) {
  StartDaemon();
  auto sub = SubscribeSynced({"stderr/"});
  ASSERT_TRUE(Create(TestNode("w1", {"--print-pid", "--lines=3", "--stream=stderr"})).ok());
  std::optional<int64_t> first_seq;
  for (int i = 1; i <= 3; ++i) {
    auto e = sub->Next();
    ASSERT_TRUE(e.has_value());
    ASSERT_EQ(e->kind, EventKind::kStderr);
    EXPECT_EQ(sub->last_topic(), "stderr/w1");
    const auto& out = std::get<OutputEvent>(e->payload);
    EXPECT_EQ(out.msg, "line " + std::to_string(i));  // the PID line went to stdout
    if (!first_seq) first_seq = out.seq;
    EXPECT_EQ(out.seq, *first_seq + i - 1);
  }
}

TEST_F(DaemonEventsTest, PrefixSubscriptionMatchesLongerNamesButPayloadNamesAreExact) {
  StartDaemon();
  // w2's lines are published before w1's and w10's, so a subscriber that saw
  // them would see them first.
  ASSERT_TRUE(Create(TestNode("w2", {"--lines=3"})).ok());
  ASSERT_TRUE(WaitTailEndsWith("w2", Stream::kStdout, "line 3"));
  auto sub = SubscribeSynced({"stdout/w1"});
  ASSERT_TRUE(Create(TestNode("w1", {"--lines=3"})).ok());
  ASSERT_TRUE(Create(TestNode("w10", {"--lines=3"})).ok());
  std::map<std::string, int> lines_of;
  for (int i = 0; i < 6; ++i) {
    auto e = sub->Next();
    ASSERT_TRUE(e.has_value()) << "only " << i << " of 6 events came";
    const auto& out = std::get<OutputEvent>(e->payload);
    EXPECT_EQ(sub->last_topic(), "stdout/" + out.node);
    ++lines_of[out.node];
  }
  EXPECT_EQ(lines_of, (std::map<std::string, int>{{"w1", 3}, {"w10", 3}}));
}

TEST_F(DaemonEventsTest, EchoWritesNodeLinesToTheLogWithTheirNodeName) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("w1", {"--lines=2"})).ok());
  ASSERT_TRUE(Create(TestNode("w2", {"--lines=2", "--stream=stderr"})).ok());
  EXPECT_TRUE(WaitUntil([&] {
    const std::string log = Log();
    return log.find("[w1] line 2\n") != std::string::npos &&
           log.find("[w2] line 2\n") != std::string::npos;
  })) << "no echo in the log";
  EXPECT_NE(Log().find("[w1] line 1\n"), std::string::npos);
}

TEST_F(DaemonEventsTest, NoEchoKeepsNodeLinesOutOfTheLog) {
  StartDaemon({"--no-echo"});
  auto sub = SubscribeSynced({"stdout/"});
  ASSERT_TRUE(Create(TestNode("w1", {"--lines=2"})).ok());
  // Published (so handled, echo included) once the subscriber has both.
  ASSERT_TRUE(sub->Next().has_value());
  ASSERT_TRUE(sub->Next().has_value());
  ASSERT_TRUE(WaitTailEndsWith("w1", Stream::kStdout, "line 2"));
  EXPECT_EQ(Log().find("[w1]"), std::string::npos) << Log();
}

}  // namespace
}  // namespace zsup::testing
