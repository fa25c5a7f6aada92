// Output: nodes writing `lines` lines of `line_bytes` bytes as fast as they
// can (test_node --lines=N --line-bytes=B --burst), timed from the first
// create until one SUB subscriber has the last line of every node: on the
// events socket (a message per line), then on the batches socket (a
// message per batch of lines). Lines
// lost are counted by `seq` (gaps and a missing tail). CPU is utime+stime
// of zsupd and the stem over that window, from /proc; peak RSS is VmHWM of
// a zsupd and stem started for this case alone.
// Floors: a bare libzmq PUB→SUB of the same events from a separate process
// (pub_floor.cc: what one message per line costs before zsupd adds
// anything), and the same writers into bare pipes read here and cut into
// lines by the stem's own OutputSplitter (what reading the pipes costs).
#include <malloc.h>
#include <unistd.h>

#include <algorithm>

#include "tools/bench/bench.h"
#include "tools/bench/client.h"
#include "tools/bench/floors.h"
#include "tools/bench/stats.h"

namespace zsup::bench {
namespace {

// Issue 16's targets (issue 6's were 1 M lines/s and 1.5 CPU-s).
constexpr double kTargetLinesPerSecond = 2.5e6;
constexpr double kTargetCpuPerMillion = 0.4;
// The subscriber gives up when nothing arrives for this long (lines lost at
// the tail never come), or when the whole case runs past its deadline.
constexpr auto kQuiet = milliseconds(5000);
constexpr int64_t kCheckEvery = 1 << 16;  // a full decode and content check

constexpr size_t kGapsKept = 8;  // per node, for the JSON

struct Progress {
  int64_t next_seq = 1;  // seq of a node's first line is 1
  int64_t received = 0;
  int64_t out_of_order = 0;
  int64_t writer_pid = 0;
  std::vector<std::pair<int64_t, int64_t>> gaps;  // first missing seqs [from, to]
};

struct OutputResult {
  bool batches = false;  // read from the batches socket
  int nodes = 0;
  int64_t lines_per_node = 0;
  int64_t received = 0;
  int64_t lost = 0;
  int64_t out_of_order = 0;
  int64_t bad = 0;                                // undecodable payloads or wrong content
  nlohmann::json gaps = nlohmann::json::array();  // [node, first missing, last missing]
  bool complete = false;
  double seconds = 0;
  double zsupd_cpu = 0, stem_cpu = 0, writers_cpu = 0, subscriber_cpu = 0;
  int64_t subscriber_hwm_kib = 0;  // this process: what the subscriber buffered
  int64_t zsupd_hwm_kib = 0, stem_hwm_kib = 0;

  int64_t expected() const { return lines_per_node * nodes; }
  double lines_per_second() const {
    return seconds > 0 ? static_cast<double>(received) / seconds : 0;
  }
  double cpu_per_million() const {
    return received > 0 ? (zsupd_cpu + stem_cpu) / (static_cast<double>(received) / 1e6) : 0;
  }
};

bool ContentOk(const zmq::message_t& topic, const zmq::message_t& payload, int64_t seq,
               int line_bytes) {
  auto event = DecodeEvent(topic.to_string_view(), payload.to_string_view());
  if (!event.ok() || event->kind != EventKind::kStdout) return false;
  const auto& out = std::get<OutputEvent>(event->payload);
  return out.seq == seq && static_cast<int>(out.msg.size()) == line_bytes &&
         out.msg.starts_with("line " + std::to_string(seq) + " ");
}

// Returns once `sub`'s subscription to the batches socket is in effect: a
// node "sync" prints one line, and is restarted until that line arrives.
Status SyncBatches(Bench& b, Control& control, zmq::socket_t& sub) {
  Status s = control.Create(TestNodeConfig(b.paths.test_node, "sync", {"--lines=1"}));
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (s.ok() && Clock::now() < deadline && !Interrupted()) {
    zmq::pollitem_t item{sub.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, milliseconds(200)) > 0) {
      zmq::message_t topic, payload;
      if (sub.recv(topic) && topic.more() && sub.recv(payload) &&
          topic.to_string_view() == "stdout/sync") {
        return control.Destroy("sync");
      }
      continue;
    }
    RestartRequest restart;
    restart.node = "sync";
    auto reply = control.Call(EncodeRequest(restart));
    s = reply.ok() ? DecodeOkReply(*reply) : reply.status();
  }
  return s.ok() ? Status::Error("the batches subscription never took effect") : s;
}

// Reads batches until every node's last line came; fills `progress` and
// the counts in `r` as the line-by-line loop does. Returns the last arrival.
Clock::time_point ReceiveBatches(zmq::socket_t& sub, const std::vector<std::string>& topics,
                                 std::vector<Progress>& progress, int64_t lines, int line_bytes,
                                 Clock::time_point deadline, OutputResult& r) {
  zmq::message_t topic, payload;
  int done = 0;
  Clock::time_point last = Clock::now();
  while (done < static_cast<int>(topics.size()) && !Interrupted()) {
    zmq::pollitem_t item{sub.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, kQuiet) <= 0) break;
    if (!sub.recv(topic) || !topic.more() || !sub.recv(payload)) break;
    const auto now = Clock::now();
    if (now > deadline) break;
    const auto it = std::find(topics.begin(), topics.end(), topic.to_string_view());
    if (it == topics.end()) continue;
    Progress& p = progress[static_cast<size_t>(it - topics.begin())];
    const std::optional<std::pair<int64_t, int64_t>> batch =
        BatchSeqAndCount(payload.to_string_view());
    if (!batch || batch->second <= 0) {
      ++r.bad;
      continue;
    }
    const auto [seq, count] = *batch;
    if (seq < p.next_seq) {
      ++p.out_of_order;
      continue;
    }
    if (seq > p.next_seq && p.gaps.size() < kGapsKept) p.gaps.emplace_back(p.next_seq, seq - 1);
    const bool had_last = seq + count - 1 >= lines;
    // A full decode and content check of the batch holding every
    // kCheckEvery-th line, and of the last one.
    if ((seq + count - 1) / kCheckEvery != (seq - 1) / kCheckEvery || had_last) {
      auto full = DecodeOutputBatch(topic.to_string_view(), payload.to_string_view());
      bool ok = full.ok() && full->seq == seq;
      for (size_t i = 0; ok && i < full->msgs.size(); ++i) {
        const std::string& msg = full->msgs[i];
        ok = static_cast<int>(msg.size()) == line_bytes &&
             msg.starts_with("line " + std::to_string(seq + static_cast<int64_t>(i)) + " ");
      }
      if (!ok) ++r.bad;
    }
    p.next_seq = seq + count;
    p.received += count;
    last = now;
    if (had_last) ++done;
  }
  return last;
}

Result<OutputResult> Measure(Bench& b, int nodes, int64_t lines, bool batches) {
  OutputResult r;
  r.batches = batches;
  r.nodes = nodes;
  r.lines_per_node = lines;
  // Reading batches, the bench is a log shipper: only the batches socket is
  // subscribed to (zsupd then publishes no line on the events socket).
  auto session = StartSession(b, "zb-out", {"stdout/out-", "node_status/out-"});
  if (!session.ok()) return session.status();
  Daemon& daemon = *(*session)->daemon;
  Control& control = *(*session)->control;
  Events* events = (*session)->events.get();
  Status s;
  const pid_t stem = daemon.StemPid();
  if (stem <= 0) return daemon.WithLog(Status::Error("no stem pid in stem.lock"));

  std::vector<std::string> topics;
  topics.reserve(static_cast<size_t>(nodes));
  std::vector<Progress> progress(static_cast<size_t>(nodes));
  for (int i = 0; i < nodes; ++i) topics.push_back("stdout/out-" + std::to_string(i));
  zmq::socket_t batch_sub;
  if (batches) {
    try {
      batch_sub = zmq::socket_t(*b.context, zmq::socket_type::sub);
      batch_sub.set(zmq::sockopt::linger, 0);
      batch_sub.set(zmq::sockopt::rcvhwm, 0);
      batch_sub.set(zmq::sockopt::subscribe, "stdout/out-");
      batch_sub.set(zmq::sockopt::subscribe, "stdout/sync");
      batch_sub.connect("ipc://" + (*session)->dir.path() + "/batches.sock");
    } catch (const zmq::error_t& e) {
      return Status::Error(std::string("batches socket: ") + e.what());
    }
    s = SyncBatches(b, control, batch_sub);
    if (!s.ok()) return daemon.WithLog(s);
    (*session)->events.reset();
    events = nullptr;
  }
  const ProcessUsage zsupd0 = ReadUsage(daemon.pid()), stem0 = ReadUsage(stem);
  const double self0 = SelfCpuSeconds();
  const auto t0 = Clock::now();
  const auto deadline = t0 + std::chrono::seconds(20) +
                        std::chrono::milliseconds(r.expected() / 100);  // 100 k lines/s at worst
  for (int i = 0; i < nodes; ++i) {
    s = control.Create(
        TestNodeConfig(b.paths.test_node, "out-" + std::to_string(i),
                       {"--lines=" + std::to_string(lines),
                        "--line-bytes=" + std::to_string(b.counts.line_bytes), "--burst"}));
    if (!s.ok()) return daemon.WithLog(s);
  }

  zmq::message_t topic, payload;
  int done = 0;
  int64_t count = 0;
  auto t_last = t0;
  if (batches) {
    t_last = ReceiveBatches(batch_sub, topics, progress, lines, b.counts.line_bytes, deadline, r);
    done = nodes;  // judged below from `progress`
  }
  while (done < nodes) {
    if (!events->NextRaw(&topic, &payload, kQuiet)) break;
    const auto now = Clock::now();
    if (now > deadline) break;
    const std::string_view t = topic.to_string_view();
    if (t.starts_with("node_status/")) {
      auto e = DecodeEvent(t, payload.to_string_view());
      const std::string_view name = t.substr(t.find('/') + 1);
      for (int i = 0; i < nodes && e.ok(); ++i) {
        if (topics[i].substr(topics[i].find('/') + 1) == name) {
          progress[i].writer_pid = std::get<NodeStatusEvent>(e->payload).pid;
        }
      }
      continue;
    }
    const auto it = std::find(topics.begin(), topics.end(), t);
    if (it == topics.end()) continue;
    Progress& p = progress[static_cast<size_t>(it - topics.begin())];
    const std::optional<int64_t> seq = OutputSeq(payload.to_string_view());
    if (!seq) {
      ++r.bad;
      continue;
    }
    if (*seq < p.next_seq) {
      ++p.out_of_order;
      continue;
    }
    if (*seq > p.next_seq && p.gaps.size() < kGapsKept) p.gaps.emplace_back(p.next_seq, *seq - 1);
    p.next_seq = *seq + 1;
    ++p.received;
    t_last = now;
    if ((++count % kCheckEvery == 0 || *seq == lines) &&
        !ContentOk(topic, payload, *seq, b.counts.line_bytes)) {
      ++r.bad;
    }
    if (*seq >= lines) ++done;
  }
  if (Interrupted()) return InterruptedError();
  r.complete = batches ? std::all_of(progress.begin(), progress.end(),
                                     [lines](const Progress& p) { return p.next_seq > lines; })
                       : done == nodes;
  r.seconds = SecondsBetween(t0, t_last);
  r.subscriber_cpu = SelfCpuSeconds() - self0;
  r.subscriber_hwm_kib = ReadUsage(::getpid()).hwm_kib;
  const ProcessUsage zsupd1 = ReadUsage(daemon.pid()), stem1 = ReadUsage(stem);
  r.zsupd_cpu = zsupd1.cpu_seconds - zsupd0.cpu_seconds;
  r.stem_cpu = stem1.cpu_seconds - stem0.cpu_seconds;
  r.zsupd_hwm_kib = zsupd1.hwm_kib;
  r.stem_hwm_kib = stem1.hwm_kib;
  for (size_t i = 0; i < progress.size(); ++i) {
    const Progress& p = progress[i];
    for (const auto& [from, to] : p.gaps) r.gaps.push_back({i, from, to});
    if (p.next_seq <= lines && r.gaps.size() < kGapsKept * progress.size()) {
      r.gaps.push_back({i, p.next_seq, lines});  // the tail never came
    }
    r.received += p.received;
    r.out_of_order += p.out_of_order;
    if (p.writer_pid > 0) r.writers_cpu += ReadUsage(static_cast<pid_t>(p.writer_pid)).cpu_seconds;
  }
  if (batches) {
    // The writers' pids, which node_status would have told.
    auto report = control.GetStatus();
    for (int i = 0; i < nodes && report.ok(); ++i) {
      auto it = report->nodes.find("out-" + std::to_string(i));
      if (it == report->nodes.end() || !it->second.pid) continue;
      r.writers_cpu += ReadUsage(static_cast<pid_t>(*it->second.pid)).cpu_seconds;
    }
  }
  r.lost = r.expected() - r.received;
  s = daemon.Stop();
  if (!s.ok()) return s;
  return r;
}

struct Floors {
  PipeFloor pipes;
  PubSubFloor pubsub;
  double pubsub_cpu_per_million() const {
    return pubsub.lines > 0
               ? pubsub.publisher_cpu_seconds / (static_cast<double>(pubsub.lines) / 1e6)
               : 0;
  }
};

nlohmann::json ToJson(const OutputResult& r, const Floors& floors) {
  const PipeFloor& floor = floors.pipes;
  return {{"nodes", r.nodes},
          {"lines_per_node", r.lines_per_node},
          {"received", r.received},
          {"lost", r.lost},
          {"out_of_order", r.out_of_order},
          {"bad_payloads", r.bad},
          {"complete", r.complete},
          {"missing_seq_ranges", r.gaps},
          {"seconds", r.seconds},
          {"lines_per_second", r.lines_per_second()},
          {"zsupd_cpu_seconds", r.zsupd_cpu},
          {"stem_cpu_seconds", r.stem_cpu},
          {"cpu_seconds_per_million_lines", r.cpu_per_million()},
          {"writers_cpu_seconds", r.writers_cpu},
          {"subscriber_cpu_seconds", r.subscriber_cpu},
          {"subscriber_peak_rss_kib", r.subscriber_hwm_kib},
          {"zsupd_peak_rss_kib", r.zsupd_hwm_kib},
          {"stem_peak_rss_kib", r.stem_hwm_kib},
          {"floor_pipe_splitter",
           {{"lines", floor.lines},
            {"seconds", floor.seconds},
            {"lines_per_second", floor.lines_per_second()},
            {"reader_cpu_seconds", floor.reader_cpu_seconds}}},
          {"floor_bare_pubsub",
           {{"lines", floors.pubsub.lines},
            {"seconds", floors.pubsub.seconds},
            {"lines_per_second", floors.pubsub.lines_per_second()},
            {"publisher_cpu_seconds", floors.pubsub.publisher_cpu_seconds},
            {"publisher_cpu_seconds_per_million", floors.pubsub_cpu_per_million()},
            {"subscriber_cpu_seconds", floors.pubsub.subscriber_cpu_seconds}}}};
}

void AddRows(Bench& b, const OutputResult& r, const Floors& floors, bool judged) {
  const std::string label = std::string(r.batches ? "output (batches), " : "output, ") +
                            std::to_string(r.nodes) + " node" + (r.nodes == 1 ? "" : "s") + ": ";
  const double rate = r.lines_per_second();
  const double pubsub = floors.pubsub.lines_per_second();
  const double ratio = rate / pubsub;
  b.report->Add({label + "throughput (floor: bare PUB→SUB)", FormatRate(rate, "lines"),
                 FormatRate(pubsub, "lines"), ratio, FormatRatio(ratio),
                 judged ? "≥ 2.5 M lines/s" : "",
                 judged ? Judge(rate >= kTargetLinesPerSecond) : Mark::kInfo});
  const double pipes = floors.pipes.lines_per_second();
  const double pipe_ratio = rate / pipes;
  b.report->Add({label + "throughput (floor: pipes only)", FormatRate(rate, "lines"),
                 FormatRate(pipes, "lines"), pipe_ratio, FormatRatio(pipe_ratio), "", Mark::kInfo});
  b.report->Add({label + "lines lost",
                 std::to_string(r.lost) + " of " + std::to_string(r.expected()) +
                     (r.bad > 0 ? " (" + std::to_string(r.bad) + " bad)" : ""),
                 "", std::nullopt, "", judged ? "0" : "",
                 judged ? Judge(r.lost == 0 && r.bad == 0) : Mark::kInfo});
  // Floor: the bare publisher's own CPU (main and I/O thread) per million.
  const double floor_cpu = floors.pubsub_cpu_per_million();
  const double cpu_ratio = r.cpu_per_million() / floor_cpu;
  b.report->Add({label + "CPU zsupd+stem per M lines (floor: bare PUB)",
                 FormatNumber(r.cpu_per_million(), 2) + " s", FormatNumber(floor_cpu, 2) + " s",
                 cpu_ratio, FormatRatio(cpu_ratio), judged ? "≤ 0.4 s" : "",
                 judged ? Judge(r.cpu_per_million() <= kTargetCpuPerMillion) : Mark::kInfo});
  b.report->Add({label + "CPU zsupd / stem / subscriber",
                 FormatNumber(r.zsupd_cpu, 2) + " / " + FormatNumber(r.stem_cpu, 2) + " / " +
                     FormatNumber(r.subscriber_cpu, 2) + " s",
                 "", std::nullopt, "", "", Mark::kInfo});
  if (r.batches) return;  // the floors' own figures are in the rows above
  b.report->Add({label + "CPU bare PUB / its subscriber",
                 FormatNumber(floors.pubsub.publisher_cpu_seconds, 2) + " / " +
                     FormatNumber(floors.pubsub.subscriber_cpu_seconds, 2) + " s",
                 "", std::nullopt, "", "", Mark::kInfo});
  b.report->Add({label + "peak RSS zsupd / stem",
                 FormatKib(r.zsupd_hwm_kib) + " / " + FormatKib(r.stem_hwm_kib), "", std::nullopt,
                 "", "", Mark::kInfo});
}

}  // namespace

Status RunOutput(Bench& b) {
  nlohmann::json& j = b.report->Figure("output");
  j["line_bytes"] = b.counts.line_bytes;
  j["events_hwm"] = b.events_hwm > 0 ? nlohmann::json(b.events_hwm) : nlohmann::json("default");
  struct Case {
    int nodes;
    int64_t lines;
    bool judged;
  };
  for (const Case c : {Case{1, b.counts.output_lines, true},
                       Case{b.counts.output_nodes, b.counts.multi_node_lines, false}}) {
    Floors floors;
    auto pipes = MeasurePipeFloor(b.paths.test_node, c.nodes, c.lines, b.counts.line_bytes);
    if (!pipes.ok()) return pipes.status();
    floors.pipes = *pipes;
    {
      auto dir = TempDir::Make("zb-pub");
      if (!dir.ok()) return dir.status();
      auto pubsub = MeasurePubSubFloor(*b.context, b.paths.self, dir->path(), c.nodes, c.lines,
                                       b.counts.line_bytes);
      if (!pubsub.ok()) return pubsub.status();
      floors.pubsub = *pubsub;
    }
    // The target is judged on the batches socket: the one built for a
    // reader of much output (docs/protocol.md).
    for (bool batches : {false, true}) {
      ::malloc_trim(0);
      auto r = Measure(b, c.nodes, c.lines, batches);
      if (!r.ok()) return r.status();
      j[std::to_string(c.nodes) + (batches ? "_nodes_batches" : "_nodes")] = ToJson(*r, floors);
      AddRows(b, *r, floors, c.judged && batches);
    }
  }
  // The subscriber may have buffered millions of events: give the memory
  // back before later figures start processes.
  ::malloc_trim(0);
  return Status::Ok();
}

}  // namespace zsup::bench
