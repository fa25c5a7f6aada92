// The whole stem loop (stem_loop.h) in this process, on a ManualClock, with
// the test as its zsupd on a real PAIR link and real node processes: the
// loop carries out NodeProcess's deadlines when the clock says so, and not
// before. Time only moves when the test moves it, so a 30 s stop timeout or a
// schedule of revivals takes milliseconds. Every wait has a deadline.
#include "stem/stem_loop.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

namespace zsup {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class StemLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zsup-stemloop.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (stem_ && !stem_->done()) {
      Send(stem::Shutdown{});
      EXPECT_TRUE(Receive<stem::Bye>(seconds(10))) << "no Bye after Shutdown";
      Send(stem::ByeAck{});
      EXPECT_TRUE(PumpUntil([&] { return stem_->done(); }, seconds(5)));
    }
    stem_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Starts the stem and says Hello as zsupd does; returns once welcomed.
  void Start(double stop_timeout) {
    Start(stop_timeout, stem::kProtocolVersion);
  }
  void Start(double stop_timeout, int64_t version) {
    StemOptions options;
    options.state_dir = dir_;
    options.endpoint = "ipc://" + dir_ + "/stem.sock";
    options.settings.stop_timeout = stop_timeout;
    options.clock = &clock_;
    stem_ = std::make_unique<Stem>(options);
    Status s = stem_->Init();
    ASSERT_TRUE(s.ok()) << s.message();
    auto link = Link::Create(context_, options.endpoint, Link::Role::kConnect);
    ASSERT_TRUE(link.ok()) << link.error();
    link_ = std::move(*link);
    settings_ = options.settings;
    Connect(version);
  }
  // Says Hello (as a zsupd of link `version`) on the current link; returns
  // once welcomed.
  void Connect(int64_t version) {
    stem::Hello hello;
    hello.version = version;
    hello.supervisor_pid = ::getpid();
    hello.settings = settings_;
    Send(hello);
    ASSERT_TRUE(Receive<stem::Welcome>()) << "no Welcome";
  }
  // "zsupd" goes silent past the limit, so the stem gives it up (resetting
  // its link), and a new one connects and says Hello.
  void ReplaceZsupd(int64_t version) {
    clock_.Advance(kLinkSilence + seconds(1));
    stem_->PollOnce();
    received_.clear();
    link_.reset();
    auto link = Link::Create(context_, "ipc://" + dir_ + "/stem.sock", Link::Role::kConnect);
    ASSERT_TRUE(link.ok()) << link.error();
    link_ = std::move(*link);
    Connect(version);
  }
  // Output lines of `node` received so far (and taken), with their frames' ids.
  std::vector<std::pair<std::string, int64_t>> TakeOutput() {
    std::vector<std::pair<std::string, int64_t>> out;
    std::erase_if(received_, [&](const stem::Message& m) {
      const auto* o = std::get_if<stem::NodeOutput>(&m);
      if (o == nullptr) return false;
      for (const std::string& line : o->lines) out.emplace_back(line, o->id);
      return true;
    });
    return out;
  }
  // Waits (real time) until output `line` arrived; returns its frame's id.
  int64_t WaitForLine(const std::string& line, milliseconds real = seconds(5)) {
    int64_t id = -1;
    PumpUntil(
        [&] {
          for (auto& [text, frame_id] : TakeOutput()) {
            if (text == line) id = frame_id;
          }
          return id >= 0;
        },
        real);
    return id;
  }

  void Send(const stem::Message& m) {
    auto sent = link_->TrySend(stem::Encode(m));
    ASSERT_TRUE(sent.ok() && *sent) << "the link refused a frame";
  }

  // Runs the loop (each turn blocks at most MaxWait, 10 ms) and collects
  // what it sends until `done` holds or `real` time passes; the clock stays.
  bool PumpUntil(const std::function<bool()>& done, milliseconds real) {
    const auto deadline = std::chrono::steady_clock::now() + real;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      stem_->PollOnce();
      Drain();
    }
    return true;
  }
  void Drain() {
    for (;;) {
      auto frame = link_->TryReceive();
      if (!frame.ok() || !frame->has_value()) return;
      auto m = stem::Decode((*frame)->to_string_view());
      if (m.ok()) received_.push_back(std::move(*m));
    }
  }
  // Waits (real time, clock still) for a message of type T; takes it.
  template <typename T>
  std::optional<T> Receive(milliseconds real = seconds(5)) {
    std::optional<T> got;
    PumpUntil(
        [&] {
          for (auto it = received_.begin(); it != received_.end(); ++it) {
            if (const T* m = std::get_if<T>(&*it)) {
              got = *m;
              received_.erase(it);
              return true;
            }
          }
          return false;
        },
        real);
    return got;
  }
  // Moves the clock by `d` in steps of at most 1 s, each with a heartbeat
  // from "zsupd" the loop reads at the new time (so it never looks silent).
  void Advance(Duration d) {
    while (d > Duration::zero()) {
      const Duration step = std::min<Duration>(d, seconds(1));
      clock_.Advance(step);
      d -= step;
      Send(stem::Heartbeat{});
      stem_->PollOnce();
      Drain();
    }
  }
  // Updates of `node` entering `state` received so far (and taken).
  std::vector<stem::NodeUpdate> TakeUpdates(NodeState state) {
    std::vector<stem::NodeUpdate> out;
    std::erase_if(received_, [&](const stem::Message& m) {
      const auto* u = std::get_if<stem::NodeUpdate>(&m);
      if (u == nullptr || u->state != state) return false;
      out.push_back(*u);
      return true;
    });
    return out;
  }

  void Create(const std::string& name, std::vector<std::string> command) {
    stem::CreateNode create;
    create.config.name = name;
    create.config.command = std::move(command);
    create.fingerprint = "f-" + name;
    Send(create);
  }

  std::string dir_;
  stem::Settings settings_;
  ManualClock clock_;
  zmq::context_t context_{1};
  std::unique_ptr<Stem> stem_;
  std::unique_ptr<Link> link_;
  std::vector<stem::Message> received_;
};

TEST_F(StemLoopTest, SigkillComesWhenTheStopTimeoutHasPassedOnTheClock) {
  Start(/*stop_timeout=*/30);
  Create("stubborn", {"/bin/sh", "-c", "trap '' TERM; echo up; while :; do sleep 0.05; done"});
  auto started = Receive<stem::NodeStarted>();
  ASSERT_TRUE(started) << "the node did not start";
  // "up" comes after the trap: a SIGTERM before it would end the shell.
  ASSERT_GE(WaitForLine("up"), 0) << "the node did not ignore SIGTERM yet";
  Send(stem::DestroyNode{"stubborn"});
  ASSERT_TRUE(PumpUntil([&] { return !TakeUpdates(NodeState::kStopping).empty(); }, seconds(5)));
  // The SIGTERM is ignored; until the clock passes 30 s nothing more happens,
  // however long the loop runs in real time.
  Advance(milliseconds(29900));
  EXPECT_FALSE(Receive<stem::NodeExited>(milliseconds(300))) << "killed before its stop timeout";
  Advance(milliseconds(200));
  auto exited = Receive<stem::NodeExited>();
  ASSERT_TRUE(exited) << "no SIGKILL once the stop timeout passed";
  EXPECT_EQ(exited->pid, started->pid);
  EXPECT_EQ(exited->signal, SIGKILL);
  EXPECT_TRUE(exited->commanded);
}

TEST_F(StemLoopTest, RevivalsFollowTheScheduleOfTheClock) {
  Start(/*stop_timeout=*/5);
  Create("crashy", {"/bin/sh", "-c", "exit 3"});
  ASSERT_TRUE(Receive<stem::NodeStarted>());
  // Zeek's schedule: 1 s, three times, then doubling every third revival.
  const std::vector<int> delays = {1, 1, 1, 2, 2, 2, 4, 4};
  for (size_t i = 0; i < delays.size(); ++i) {
    SCOPED_TRACE("revival " + std::to_string(i + 1));
    auto exited = Receive<stem::NodeExited>();
    ASSERT_TRUE(exited);
    EXPECT_EQ(exited->code, 3);
    EXPECT_EQ(exited->next, NodeState::kBackoff);
    // Announced with the time it will start (the clock's wall time)...
    std::vector<stem::NodeUpdate> backoff = TakeUpdates(NodeState::kBackoff);
    ASSERT_FALSE(backoff.empty());
    ASSERT_TRUE(backoff.back().next_start_at);
    EXPECT_NEAR(*backoff.back().next_start_at - clock_.Wall(), delays[i], 1e-3);
    // ...and started then: not a millisecond before, at once after.
    Advance(seconds(delays[i]) - milliseconds(1));
    EXPECT_FALSE(Receive<stem::NodeStarted>(milliseconds(50))) << "started early";
    Advance(milliseconds(1));
    ASSERT_TRUE(Receive<stem::NodeStarted>()) << "not started when its delay was over";
  }
}

// The output a zsupd never acknowledged reaches the next zsupd; what it
// acknowledged does not come again.
TEST_F(StemLoopTest, OutputTheLostZsupdDidNotAcknowledgeGoesToTheNextOne) {
  Start(/*stop_timeout=*/5);
  const std::string go = dir_ + "/go";
  Create("talker", {"/bin/sh", "-c",
                    "echo one; while [ ! -e " + go + " ]; do sleep 0.01; done; echo two; "
                    "exec sleep 1000"});
  const int64_t one = WaitForLine("one");
  ASSERT_GT(one, 0) << "no numbered output frame";
  Send(stem::OutputAck{one});
  ASSERT_TRUE(std::ofstream(go).good());
  const int64_t two = WaitForLine("two");
  ASSERT_GT(two, one);
  // Not acknowledged: zsupd died with it in flight.
  ReplaceZsupd(stem::kProtocolVersion);
  EXPECT_EQ(WaitForLine("two"), two) << "the unacknowledged frame, sent again with its id";
  EXPECT_FALSE(PumpUntil(
      [&] {
        for (auto& [text, id] : TakeOutput()) {
          if (text == "one") return true;
        }
        return false;
      },
      milliseconds(300)))
      << "an acknowledged frame came again";
}

// A zsupd before link version 4 never acknowledges: nothing is kept for it
// (or its output would fill the stem's bound and stop the nodes' pipes).
TEST_F(StemLoopTest, AnOlderZsupdGetsNoOutputTwice) {
  Start(/*stop_timeout=*/5, /*version=*/3);
  Create("talker", {"/bin/sh", "-c", "echo one; exec sleep 1000"});
  ASSERT_GT(WaitForLine("one"), 0);
  ReplaceZsupd(3);
  EXPECT_EQ(WaitForLine("one", milliseconds(500)), -1) << "kept for a zsupd that does not acknowledge";
}

}  // namespace
}  // namespace zsup
