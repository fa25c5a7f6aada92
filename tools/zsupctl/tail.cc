// zsupctl tail [-n N] [-f] [--stderr | --both] NODE: the node's recent output
// lines, then (with -f) the live ones, exactly that node.
#include <algorithm>
#include <iostream>
#include <memory>

#include "broker/signals.h"
#include "tools/zsupctl/client.h"
#include "tools/zsupctl/commands.h"
#include "tools/zsupctl/line_cursor.h"
#include "tools/zsupctl/subscription.h"

namespace zsup::ctl {
namespace {

// How far back zsupd's memory is searched for lines missed live (it keeps
// at least this many per node and stream).
constexpr int64_t kGapLookback = 1000;

struct TailOptions {
  std::string node;
  int64_t lines = 10;
  bool follow = false;
  bool stderr_only = false;
  bool both = false;
};

std::vector<Stream> Streams(const TailOptions& o) {
  if (o.both) return {Stream::kStdout, Stream::kStderr};
  return {o.stderr_only ? Stream::kStderr : Stream::kStdout};
}

// One stream alone goes to stdout; with --both each goes to its namesake,
// so the terminal shows them interleaved and redirections still separate them.
std::ostream& Sink(const TailOptions& o, Stream s) {
  return o.both && s == Stream::kStderr ? std::cerr : std::cout;
}

// False once stdout is gone (e.g. `| head`): time to stop.
bool Print(const TailOptions& o, Stream s, const std::string& msg) {
  std::ostream& out = Sink(o, s);
  out << msg << '\n' << std::flush;
  return static_cast<bool>(out);
}

struct HistoryLine {
  Stream stream;
  OutputLine line;
};

// The last `lines` lines of each stream, oldest first, the streams merged by time.
Result<std::vector<HistoryLine>> History(Client& client, const TailOptions& o,
                                         LineCursor* cursors) {
  std::vector<HistoryLine> all;
  for (Stream s : Streams(o)) {
    auto lines = client.Tail(o.node, s, o.lines);
    if (!lines.ok()) return lines.status();
    LineCursor& cursor = cursors[s == Stream::kStdout ? 0 : 1];
    cursor.SetHistoryEnd(lines->empty() ? std::nullopt : std::optional(lines->back().seq));
    for (OutputLine& l : *lines) all.push_back({s, std::move(l)});
  }
  std::stable_sort(all.begin(), all.end(), [](const HistoryLine& a, const HistoryLine& b) {
    return a.line.at < b.line.at;
  });
  return all;
}

// Lines [from, to) did not arrive live (zsupd was restarting, or this client
// fell behind its high-water mark): prints what zsupd still has of them and
// reports the rest. False once stdout is gone.
bool FillGap(Client& client, const TailOptions& o, Stream s, int64_t from, int64_t to) {
  int64_t found = 0;
  if (auto lines = client.Tail(o.node, s, kGapLookback); lines.ok()) {
    for (const OutputLine& l : *lines) {
      if (l.seq < from || l.seq >= to) continue;
      ++found;
      if (!Print(o, s, l.msg)) return false;
    }
  }
  if (found < to - from) {
    std::cerr << "zsupctl: missed " << to - from - found << " " << StreamName(s) << " lines of "
              << o.node << "\n";
  }
  return true;
}

int Follow(const TailOptions& o, const GlobalOptions& g) {
  // Before the ZeroMQ context exists, so its threads inherit the mask.
  auto signals = BlockSignals({SIGINT, SIGTERM, SIGHUP});
  if (!signals.ok()) return ReportFailure(signals.status());
  auto client = Connect(g);
  if (!client.ok()) return ReportFailure(client.status());
  Client& c = **client;
  // Fails fast (and names the control socket) when zsupd is not there.
  auto status = c.GetStatus(o.node);
  if (!status.ok()) return ReportFailure(status.status());
  if (!status->nodes.contains(o.node)) {
    return ReportFailure(Status::Refused("no node named '" + o.node + "'"));
  }
  std::vector<std::string> prefixes;
  for (Stream s : Streams(o))
    prefixes.push_back(
        EventTopic(s == Stream::kStdout ? EventKind::kStdout : EventKind::kStderr, o.node));
  auto sub = Subscription::Open(c, prefixes);
  if (!sub.ok()) return ReportFailure(sub.status());
  LineCursor cursors[2];
  if (o.lines > 0) {
    auto history = History(c, o, cursors);
    if (!history.ok()) return ReportFailure(history.status());
    for (const HistoryLine& h : *history) {
      if (!Print(o, h.stream, h.line.msg)) return kExitOk;
    }
  }
  for (;;) {
    auto event = (*sub)->Next(signals->get());
    if (!event.ok()) return ReportFailure(event.status());
    if (!event->has_value()) return kExitOk;  // interrupted: the normal way to stop
    const auto* out = std::get_if<OutputEvent>(&(*event)->payload);
    // A prefix subscription to "stdout/w1" also delivers w10's lines.
    if (out == nullptr || out->node != o.node) continue;
    const Stream s = (*event)->kind == EventKind::kStdout ? Stream::kStdout : Stream::kStderr;
    auto d = cursors[s == Stream::kStdout ? 0 : 1].Accept(out->seq);
    if (!d.print) continue;
    if (d.missed > 0 && !FillGap(c, o, s, out->seq - d.missed, out->seq)) return kExitOk;
    if (!Print(o, s, out->msg)) return kExitOk;
  }
}

int Run(const TailOptions& o, const GlobalOptions& g) {
  if (o.follow) return Follow(o, g);
  auto client = Connect(g);
  if (!client.ok()) return ReportFailure(client.status());
  LineCursor cursors[2];
  auto history = History(**client, o, cursors);
  if (!history.ok()) return ReportFailure(history.status());
  for (const HistoryLine& h : *history) {
    if (!Print(o, h.stream, h.line.msg)) break;
  }
  return kExitOk;
}

}  // namespace

Command AddTail(CLI::App& app) {
  auto o = std::make_shared<TailOptions>();
  CLI::App* sub = app.add_subcommand("tail", "Print a node's recent output lines, and follow them");
  sub->footer(
      "zsupd keeps at least the last 1,000 lines per node and stream in memory. Output a node "
      "writes to its stdout_file/stderr_file is not kept: read those files instead.");
  sub->add_option("NODE", o->node, "the node (exactly this name)")->required();
  sub->add_option("-n,--lines", o->lines, "how many recent lines to print first")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  sub->add_flag("-f,--follow", o->follow, "keep printing new lines until interrupted (Ctrl-C)");
  CLI::Option* err = sub->add_flag("--stderr", o->stderr_only, "standard error instead");
  CLI::Option* both = sub->add_flag(
      "--both", o->both,
      "both streams, merged by time: the node's stdout lines on zsupctl's stdout, its stderr "
      "lines on zsupctl's stderr (-n N lines of each); add 2>&1 to see them in one stream");
  err->excludes(both);
  return {sub, [o](const GlobalOptions& g) { return Run(*o, g); }};
}

}  // namespace zsup::ctl
