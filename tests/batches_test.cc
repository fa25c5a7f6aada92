// zsupd's batches socket against real processes: every line of a node, in
// order, a batch of lines per message, beside the events socket's line per
// message; its file private like the other sockets; a batches subscriber
// that stops reading holds output back only until the stall limit, then is
// cut off while the events subscribers miss nothing; --no-batches.
#include <sys/stat.h>

#include "tests/daemon_fixture.h"

namespace zsup::testing {
namespace {

// A SUB socket on DIR/batches.sock.
class BatchReader {
 public:
  BatchReader(zmq::context_t& context, const std::string& dir, const std::string& prefix,
              int rcvhwm = 0)
      : socket_(context, zmq::socket_type::sub) {
    socket_.set(zmq::sockopt::linger, 0);
    if (rcvhwm > 0) socket_.set(zmq::sockopt::rcvhwm, rcvhwm);
    socket_.set(zmq::sockopt::subscribe, prefix);
    socket_.connect("ipc://" + dir + "/batches.sock");
  }

  // The next batch within `timeout` (its topic in *topic), or nullopt.
  std::optional<OutputBatchEvent> Next(milliseconds timeout, std::string* topic = nullptr) {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, timeout) <= 0) return std::nullopt;
    zmq::message_t t, payload;
    if (!socket_.recv(t) || !t.more() || !socket_.recv(payload)) return std::nullopt;
    auto batch = DecodeOutputBatch(t.to_string_view(), payload.to_string_view());
    EXPECT_TRUE(batch.ok()) << batch.error();
    if (!batch.ok()) return std::nullopt;
    if (topic != nullptr) *topic = t.to_string();
    return std::move(*batch);
  }

 private:
  zmq::socket_t socket_;
};

class BatchesTest : public DaemonTest {
 protected:
  // Returns once `reader`'s subscription is in effect: a node "probe" that
  // prints a line and exits is revived (about once a second) until one of
  // its batches arrives; then it is destroyed. `reader` must subscribe to
  // stdout/probe too.
  void Sync(BatchReader& reader) {
    ASSERT_TRUE(Create(TestNode("probe", {"--lines=1", "--exit=0"})).ok());
    std::string topic;
    bool seen = false;
    const auto deadline = std::chrono::steady_clock::now() + seconds(15);
    while (!seen && std::chrono::steady_clock::now() < deadline) {
      seen = reader.Next(milliseconds(100), &topic).has_value() && topic == "stdout/probe";
    }
    ASSERT_TRUE(seen) << "the batches subscription never took effect";
    ASSERT_TRUE(Destroy("probe").ok());
  }
};

TEST_F(BatchesTest, EveryLineArrivesInOrderInFewerMessagesBesideTheEventsSocket) {
  StartDaemon({"--no-echo"});
  struct stat st {};
  ASSERT_EQ(::stat((dir() + "/batches.sock").c_str(), &st), 0) << Log();
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  BatchReader reader(context_, dir(), "stdout/");
  Sync(reader);

  constexpr int kLines = 20000;
  ASSERT_TRUE(Create(TestNode("w1", {"--lines=" + std::to_string(kLines), "--burst"})).ok());
  int64_t next = 0;  // seq of the next line; the first batch sets it
  int line = 1;
  int messages = 0;
  std::string topic;
  while (line <= kLines) {
    auto batch = reader.Next(seconds(10), &topic);
    ASSERT_TRUE(batch.has_value()) << "line " << line << " never came";
    if (topic == "stdout/probe") continue;  // a last revival before the destroy
    ASSERT_EQ(topic, "stdout/w1");
    ASSERT_EQ(batch->node, "w1");
    if (next == 0) next = batch->seq;
    ASSERT_EQ(batch->seq, next) << "a gap or a reordering at line " << line;
    EXPECT_GT(batch->at, 1.6e9);
    for (const std::string& msg : batch->msgs) {
      ASSERT_EQ(msg, "line " + std::to_string(line)) << "a gap or a reordering";
      ++line;
    }
    next += static_cast<int64_t>(batch->msgs.size());
    ++messages;
  }
  EXPECT_LT(messages, kLines / 10) << "lines did not travel in batches";
  // The events socket's copy: the same last line with the same seq.
  auto tail = Tail("w1", Stream::kStdout, 1);
  ASSERT_TRUE(tail.ok()) << tail.error();
  ASSERT_EQ(tail->size(), 1u);
  EXPECT_EQ(tail->back().msg, "line " + std::to_string(kLines));
  EXPECT_EQ(tail->back().seq, next - 1);
}

TEST_F(BatchesTest, StderrBatchesHaveTheirOwnTopic) {
  StartDaemon({"--no-echo"});
  BatchReader reader(context_, dir(), "");
  Sync(reader);
  ASSERT_TRUE(Create(TestNode("w1", {"--lines=3", "--stream=stderr"})).ok());
  std::vector<std::string> lines;
  std::string topic;
  while (lines.size() < 3) {
    auto batch = reader.Next(seconds(10), &topic);
    ASSERT_TRUE(batch.has_value()) << "only " << lines.size() << " of 3 lines came";
    if (topic == "stdout/probe") continue;
    EXPECT_EQ(topic, "stderr/w1");
    lines.insert(lines.end(), batch->msgs.begin(), batch->msgs.end());
  }
  EXPECT_EQ(lines, (std::vector<std::string>{"line 1", "line 2", "line 3"}));
}

TEST_F(BatchesTest, ABatchesSubscriberThatStopsReadingIsCutOffAndEventsLoseNothing) {
  // 64 KiB per subscriber: a batch (up to 64 KiB) fills a batches queue,
  // while the events socket's queue holds hundreds of lines.
  StartDaemon({"--no-echo", "--events-queue-bytes", "65536", "--events-stall-limit", "0.3"});
  BatchReader stuck(context_, dir(), "stdout/", 4);
  Sync(stuck);
  auto events = Subscribe({"stdout/w1"});
  constexpr int kLines = 50000;  // 5 MB: far more than the stuck reader's buffers
  ASSERT_TRUE(
      Create(TestNode("w1", {"--lines=" + std::to_string(kLines), "--line-bytes=100", "--burst"}))
          .ok());
  for (int i = 1; i <= kLines; ++i) {
    auto e = events->Next(seconds(20));
    ASSERT_TRUE(e.has_value()) << "line " << i << " never came: a batches subscriber that "
                               << "reads nothing held the output for good\n"
                               << Log();
    ASSERT_EQ(e->kind, EventKind::kStdout);
    ASSERT_TRUE(
        std::get<OutputEvent>(e->payload).msg.starts_with("line " + std::to_string(i) + " "))
        << "the events subscriber lost a line";
  }
  EXPECT_NE(Log().find("batches: cut off 1 subscriber(s)"), std::string::npos) << Log();
}

TEST_F(BatchesTest, NoBatchesServesNoBatchesSocket) {
  StartDaemon({"--no-batches"});
  struct stat st {};
  EXPECT_NE(::stat((dir() + "/batches.sock").c_str(), &st), 0);
  EXPECT_NE(Log().find("no batches"), std::string::npos) << Log();
  // Output still reaches the events socket and the history.
  ASSERT_TRUE(Create(TestNode("w1", {"--lines=2"})).ok());
  EXPECT_TRUE(WaitUntil([&] {
    auto tail = Tail("w1", Stream::kStdout, 1);
    return tail.ok() && !tail->empty() && tail->back().msg == "line 2";
  }));
}

TEST_F(BatchesTest, BatchesAndNoBatchesTogetherAreAUsageError) {
  auto r = RunCommand({ZsupdPath(), "--state-dir", dir(), "--no-batches", "--batches",
                       "ipc://" + dir() + "/b.sock"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("excludes"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace zsup::testing
