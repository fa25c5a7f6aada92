// The floor of the output figure: a bare libzmq XPUB in a separate process
// (this binary with --serve-pub) sending the same two-frame events zsupd
// publishes for a line (topic "stdout/<node>", the msgpack payload of
// codec.h with a rising seq), as fast as a high-water mark without drops
// lets it, to one subscriber with the bench's own socket settings. What
// libzmq costs for one message per line before zsupd adds anything.
#include <unistd.h>

#include <charconv>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "broker/codec.h"
#include "tools/bench/client.h"
#include "tools/bench/floors.h"
#include "tools/bench/stats.h"

namespace zsup::bench {
namespace {

constexpr int kPublisherHwm = 100000;  // zsupd's default --events-hwm
constexpr auto kFloorQuiet = milliseconds(5000);

std::string NodeName(int i) { return "pub-" + std::to_string(i); }

}  // namespace

int ServePub(const std::string& endpoint, int nodes, int64_t lines, int line_bytes, int ready_fd) {
  try {
    zmq::context_t context(1);
    zmq::socket_t pub(context, zmq::socket_type::xpub);
    pub.set(zmq::sockopt::linger, 0);
    pub.set(zmq::sockopt::sndhwm, kPublisherHwm);
    pub.set(zmq::sockopt::xpub_nodrop, true);
    pub.bind(endpoint);
    const char one = 'R';
    if (::write(ready_fd, &one, 1) != 1) return 1;
    ::close(ready_fd);
    zmq::message_t subscription;
    if (!pub.recv(subscription)) return 1;  // nothing goes out before a subscriber is there
    std::vector<std::string> names, topics;
    for (int i = 0; i < nodes; ++i) {
      names.push_back(NodeName(i));
      topics.push_back("stdout/" + names.back());
    }
    std::string msg(static_cast<size_t>(line_bytes), 'x');
    zmq::pollitem_t writable{pub.handle(), 0, ZMQ_POLLOUT, 0};
    for (int64_t seq = 1; seq <= lines; ++seq) {
      for (int i = 0; i < nodes; ++i) {
        const std::string& t = topics[static_cast<size_t>(i)];
        const size_t size = OutputEventSize(names[static_cast<size_t>(i)], msg, seq, 1.0);
        zmq::message_t payload(size);
        WriteOutputEvent(static_cast<char*>(payload.data()), names[static_cast<size_t>(i)], msg,
                         seq, 1.0);
        // A full queue refuses the first frame; wait until it has room.
        while (!pub.send(zmq::const_buffer(t.data(), t.size()),
                         zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
          zmq::poll(&writable, 1, std::chrono::milliseconds(-1));
        }
        pub.send(payload, zmq::send_flags::none);
      }
    }
    for (;;) {  // until killed: the bench reads this process's CPU first
      if (!pub.recv(subscription)) continue;
    }
  } catch (const zmq::error_t&) {
    return 1;
  }
}

Result<PubSubFloor> MeasurePubSubFloor(zmq::context_t& context, const std::string& self,
                                       const std::string& dir, int nodes, int64_t lines,
                                       int line_bytes) {
  const std::string endpoint = "ipc://" + dir + "/floor-pub.sock";
  const auto t0 = Clock::now();
  auto server = StartFloorServer(
      {self, "--serve-pub", endpoint, "--pub-nodes", std::to_string(nodes), "--pub-lines",
       std::to_string(lines), "--pub-line-bytes", std::to_string(line_bytes)},
      "bare PUB");
  if (!server.ok()) return server.status();
  auto events = Events::ConnectEarly(context, endpoint, {"stdout/"});
  if (!events.ok()) return events.status();
  const double self0 = SelfCpuSeconds();
  PubSubFloor floor;
  std::vector<int64_t> next(static_cast<size_t>(nodes), 1);
  zmq::message_t topic, payload;
  const int64_t expected = lines * nodes;
  auto t_last = t0;
  while (floor.lines < expected) {
    if (!(*events)->NextRaw(&topic, &payload, kFloorQuiet)) break;
    t_last = Clock::now();
    const std::string_view t = topic.to_string_view();
    const std::optional<int64_t> seq = OutputSeq(payload.to_string_view());
    constexpr std::string_view kPrefix = "stdout/pub-";
    int i = -1;  // the topic is not NUL-terminated: parse within its bytes
    if (t.starts_with(kPrefix)) std::from_chars(t.data() + kPrefix.size(), t.data() + t.size(), i);
    if (!seq || i < 0 || i >= nodes || *seq != next[static_cast<size_t>(i)]++) {
      return Status::Error("bare PUB floor: an unexpected message on " + std::string(t));
    }
    ++floor.lines;
  }
  if (Interrupted()) return InterruptedError();
  if (floor.lines != expected) {
    return Status::Error("bare PUB floor: " + std::to_string(floor.lines) + " of " +
                         std::to_string(expected) + " messages arrived");
  }
  floor.seconds = SecondsBetween(t0, t_last);
  floor.publisher_cpu_seconds = ReadUsage(server->pid()).cpu_seconds;
  floor.subscriber_cpu_seconds = SelfCpuSeconds() - self0;
  return floor;
}

}  // namespace zsup::bench
