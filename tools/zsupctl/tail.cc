// zsupctl tail [-n N] [-f] [--stderr | --both] [--timestamps | --json] NODE | --all:
// the recent output lines of exactly that node (or of every node), then (with
// -f) the live ones.
#include <algorithm>
#include <cstdlib>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <tuple>
#include <utility>

#include "base/cli_errors.h"
#include "broker/signals.h"
#include "tools/zsupctl/client.h"
#include "tools/zsupctl/commands.h"
#include "tools/zsupctl/endpoints.h"
#include "tools/zsupctl/fleet_select.h"
#include "tools/zsupctl/follower.h"
#include "tools/zsupctl/line_cursor.h"
#include "tools/zsupctl/subscription.h"
#include "tools/zsupctl/tail_format.h"

namespace zsup::ctl {
namespace {

// How far back zsupd's memory is searched for lines missed live (it keeps
// at least this many per node and stream).
constexpr int64_t kGapLookback = 1000;

struct TailOptions {
  CLI::App* app = nullptr;
  std::string node;
  bool all = false;
  int64_t lines = 10;
  bool follow = false;
  bool stderr_only = false;
  bool both = false;
  bool timestamps = false;
  bool json = false;
};

// One stream of one node whose lines are printed.
struct Target {
  std::string node;
  Stream stream;
};

// One zsupd whose nodes are followed: the only one, or with --hosts each
// host that holds them.
struct Source {
  FleetHost* host = nullptr;
  StatusReport status;  // its nodes (only NODE's without --all)
  std::vector<Target> targets;
  std::unique_ptr<Subscription> sub;
};

// Per host, node and stream. Nodes that are gone are not forgotten: zsupd
// bounds how many nodes there are, and a cursor is two integers.
using Cursors = std::map<std::tuple<size_t, std::string, Stream>, LineCursor>;

std::vector<Stream> Streams(const TailOptions& o) {
  if (o.both) return {Stream::kStdout, Stream::kStderr};
  return {o.stderr_only ? Stream::kStderr : Stream::kStdout};
}

EventKind KindOf(Stream s) {
  return s == Stream::kStdout ? EventKind::kStdout : EventKind::kStderr;
}

TailFormat Format(const TailOptions& o) {
  return {.json = o.json, .timestamps = o.timestamps, .node_prefix = o.all};
}

// One stream alone goes to stdout; with --both each goes to its namesake,
// so the terminal shows them interleaved and redirections still separate
// them. JSON names the stream in each object, so it all goes to stdout.
std::ostream& Sink(const TailOptions& o, Stream s) {
  return o.both && !o.json && s == Stream::kStderr ? std::cerr : std::cout;
}

// False once stdout is gone (e.g. `| head`): time to stop.
bool Print(const TailOptions& o, const TailLine& line) {
  std::ostream& out = Sink(o, line.stream);
  out << FormatTailLine(line, Format(o)) << '\n' << std::flush;
  return static_cast<bool>(out);
}

TailLine LineOf(const Source& src, std::string_view node, Stream s, const OutputLine& l) {
  return {.node = node, .host = src.host->name, .stream = s, .msg = l.msg, .seq = l.seq,
          .at = l.at};
}

// "w1", or "w1 on alpha" with --hosts: for notes.
std::string Named(const Source& src, const std::string& node) {
  return src.host->name.empty() ? node : node + " on " + src.host->name;
}

// The streams of `report`'s nodes to print. A stream that only goes to its
// file publishes nothing: for one NODE the note says where the file is
// instead of printing nothing; with --all such streams are left out quietly
// (a cluster writing to files would bury the output under notes).
std::vector<Target> Targets(const TailOptions& o, const Source& src, const GlobalOptions& g) {
  std::vector<Target> targets;
  for (const auto& [name, status] : src.status.nodes) {
    for (Stream s : Streams(o)) {
      if (auto file = UnpublishedFile(status.node, s)) {
        if (!o.all) {
          // Another host's state directory is not known here.
          const auto dir = src.host->local ? ZsupdStateDir(g) : std::nullopt;
          std::cerr << UnpublishedNote(Named(src, name), s,
                                       DescribeNodeFile(dir, status.node, *file))
                    << "\n";
        }
        continue;
      }
      targets.push_back({name, s});
    }
  }
  return targets;
}

struct HistoryLine {
  const Source* source;
  std::string_view node;  // into the Target
  Stream stream;
  OutputLine line;
};

// The last `o.lines` lines of each target of each source, oldest first,
// merged by time. Says so on stderr when zsupd no longer has as many as
// asked for. A source that fails is reported and left out (with --hosts).
Result<std::vector<HistoryLine>> History(const TailOptions& o, std::vector<Source>& sources,
                                         Cursors* cursors) {
  std::vector<HistoryLine> all;
  for (size_t i = 0; i < sources.size(); ++i) {
    const Source& src = sources[i];
    for (const Target& t : src.targets) {
      auto lines = src.host->client->Tail(t.node, t.stream, o.lines);
      // With --all, a node destroyed since the status reply is simply not
      // there; a node awaited (not in the reply) has no lines yet.
      if (!lines.ok() && lines.status().code() == Status::Code::kRefused &&
          (o.all || !src.status.nodes.contains(t.node))) {
        continue;
      }
      if (!lines.ok() && src.host->name.empty()) return lines.status();
      if (!lines.ok()) return lines.status().Prefixed("host " + src.host->name);
      // seq counts from 1 per node and stream: a first seq above 1 means the
      // earlier lines existed and were dropped, not that there were no more.
      const auto kept = static_cast<int64_t>(lines->size());
      if (kept < o.lines && kept > 0 && lines->front().seq > 1) {
        std::cerr << FewerLinesNote(Named(src, t.node), t.stream, kept, o.lines) << "\n";
      }
      (*cursors)[{i, t.node, t.stream}].SetHistoryEnd(
          lines->empty() ? std::nullopt : std::optional(lines->back().seq));
      for (OutputLine& l : *lines) all.push_back({&src, t.node, t.stream, std::move(l)});
    }
  }
  std::stable_sort(all.begin(), all.end(), [](const HistoryLine& a, const HistoryLine& b) {
    return a.line.at < b.line.at;
  });
  return all;
}

// Lines [from, to) of `node`'s stream `s` did not arrive live (zsupd was
// restarting, or this client fell behind its high-water mark): prints what
// zsupd still has of them and reports the rest. False once stdout is gone.
bool FillGap(const Source& src, const TailOptions& o, const std::string& node, Stream s,
             int64_t from, int64_t to) {
  int64_t found = 0;
  if (auto lines = src.host->client->Tail(node, s, kGapLookback); lines.ok()) {
    for (const OutputLine& l : *lines) {
      if (l.seq < from || l.seq >= to) continue;
      ++found;
      if (!Print(o, LineOf(src, node, s, l))) return false;
    }
  }
  if (found < to - from) {
    std::cerr << "zsupctl: missed " << to - from - found << " " << StreamName(s) << " lines of "
              << Named(src, node) << "\n";
  }
  return true;
}

Result<std::unique_ptr<Subscription>> Subscribe(const TailOptions& o, Source& src) {
  std::vector<std::string> prefixes;
  if (o.all) {
    for (Stream s : Streams(o)) prefixes.push_back(EventTopic(KindOf(s), ""));  // "stdout/"
  } else {
    for (const Target& t : src.targets) prefixes.push_back(EventTopic(KindOf(t.stream), t.node));
  }
  return Subscription::Open(*src.host->client, prefixes);
}

// Prints live lines until interrupted through `stop_fd`.
int Follow(std::vector<Source>& sources, const TailOptions& o, int stop_fd, Cursors& cursors) {
  std::vector<Follower::Source> subs;
  for (Source& src : sources) {
    subs.push_back({src.sub.get(), src.host->client.get(), src.host->name});
  }
  Follower follower(std::move(subs));
  for (;;) {
    auto next = follower.Next(stop_fd);
    if (!next.ok()) return ReportFailure(next.status());
    if (!next->has_value()) return kExitOk;  // interrupted: the normal way to stop
    const auto& [i, event] = **next;
    const Source& src = sources[i];
    const auto* out = std::get_if<OutputEvent>(&event.payload);
    // A prefix subscription to "stdout/w1" also delivers w10's lines.
    if (out == nullptr || (!o.all && out->node != o.node)) continue;
    const Stream s = event.kind == EventKind::kStdout ? Stream::kStdout : Stream::kStderr;
    // A node created since the history has a fresh cursor: all its lines are new.
    auto d = cursors[{i, out->node, s}].Accept(out->seq);
    if (!d.print) continue;
    if (d.missed > 0 && !FillGap(src, o, out->node, s, out->seq - d.missed, out->seq)) {
      return kExitOk;
    }
    const TailLine line{.node = out->node, .host = src.host->name, .stream = s,
                        .msg = out->msg, .seq = out->seq, .at = out->at};
    if (!Print(o, line)) return kExitOk;
  }
}

// Opens the subscription of each source (in parallel); one that fails is
// reported and dropped with --hosts, and ends the command without.
int SubscribeAll(const TailOptions& o, Fleet& fleet, std::vector<Source>& sources, int exit) {
  std::vector<std::future<Result<std::unique_ptr<Subscription>>>> pending;
  for (Source& src : sources) {
    pending.push_back(std::async(sources.size() > 1 ? std::launch::async : std::launch::deferred,
                                 [&o, &src] { return Subscribe(o, src); }));
  }
  std::vector<Source> kept;
  for (size_t i = 0; i < sources.size(); ++i) {
    auto sub = pending[i].get();
    if (!sub.ok()) {
      if (!fleet.multi()) return ReportFailure(sub.status());
      exit = WorseExit(exit, ReportHostFailure(*sources[i].host, sub.status()));
      continue;
    }
    sources[i].sub = std::move(*sub);
    kept.push_back(std::move(sources[i]));
  }
  sources = std::move(kept);
  if (sources.empty()) return exit == kExitOk ? static_cast<int>(kExitRefused) : exit;
  return kExitOk;
}

// The sources: the only zsupd with NODE (or every node), or with --hosts
// each host that holds NODE (every host for --all). `exit` gets the worst
// failure of the hosts left out (already reported).
Result<std::vector<Source>> FindSources(const TailOptions& o, Fleet& fleet, int* exit) {
  std::vector<Source> sources;
  if (!fleet.multi()) {
    FleetHost& host = fleet.hosts().front();
    // Fails fast (and names the control socket) when zsupd is not there.
    auto status = host.client->GetStatus(o.all ? "" : o.node);
    // zsupd answers an unknown node with an empty map; a refusal is
    // something else, and reported as it is.
    const bool unknown = !o.all && status.ok() && !status->nodes.contains(o.node);
    if (unknown && o.follow) {
      // It may be created later: its lines are printed once it is.
      NoteAwaitedNode(o.node, false);
      sources.push_back({&host, {}, {}, nullptr});
      return sources;
    }
    if (unknown) return Status::Refused("no node named '" + o.node + "'");
    if (!status.ok()) return status.status();
    sources.push_back({&host, std::move(*status), {}, nullptr});
    return sources;
  }
  Selection sel;
  if (!o.all) sel.nodes = {o.node};
  auto selected = SelectAcross(fleet, sel);
  if (!selected.ok() && !o.all && o.follow && selected.status().code() == Status::Code::kRefused) {
    // On no host (that answered): followed on every host until it is created.
    NoteAwaitedNode(o.node, true);
    for (FleetHost& h : fleet.hosts()) sources.push_back({&h, {}, {}, nullptr});
    return sources;
  }
  if (!selected.ok()) return selected.status();
  *exit = selected->exit;
  for (HostNodes& h : selected->hosts) {
    if (o.all || !h.nodes.nodes.empty()) sources.push_back({h.host, std::move(h.nodes), {}, nullptr});
  }
  return sources;
}

int Run(const TailOptions& o, const GlobalOptions& g) {
  if (!o.all && o.node.empty()) return UsageError(*o.app, "a NODE (or --all) is required");
  UniqueFd stop;
  if (o.follow) {
    // Before the ZeroMQ context exists, so its threads inherit the mask.
    auto signals = BlockSignals({SIGINT, SIGTERM, SIGHUP});
    if (!signals.ok()) return ReportFailure(signals.status());
    stop = std::move(*signals);
  }
  auto fleet = Fleet::Open(g);
  if (!fleet.ok()) return ReportFailure(fleet.status());
  int exit = kExitOk;
  // Following every node, the subscriptions come before the status
  // requests, so a node created in between has its first lines delivered live.
  std::vector<Source> early;
  if (o.follow && o.all) {
    for (FleetHost& h : fleet->hosts()) early.push_back({&h, {}, {}, nullptr});
    if (int e = SubscribeAll(o, *fleet, early, exit); e != kExitOk) return e;
  }
  auto sources = FindSources(o, *fleet, &exit);
  if (!sources.ok()) return ReportFailure(sources.status());
  for (Source& src : *sources) {
    src.targets = Targets(o, src, g);
    if (!o.all && src.status.nodes.empty()) {
      // A node not created yet: its config, and so what it publishes, is unknown.
      for (Stream s : Streams(o)) src.targets.push_back({o.node, s});
    }
    for (Source& e : early) {
      if (e.host == src.host) src.sub = std::move(e.sub);
    }
  }
  // A host subscribed to but not answering status (or the reverse) is left out.
  std::erase_if(*sources, [&o](const Source& src) { return o.follow && o.all && !src.sub; });
  // Every stream asked for goes to a file, and the note said which.
  size_t targets = 0;
  for (const Source& src : *sources) targets += src.targets.size();
  if (!o.all && targets == 0) return exit;
  if (o.follow && !o.all) {
    // Only the streams that are published: the topics depend on the config.
    std::erase_if(*sources, [](const Source& src) { return src.targets.empty(); });
    if (int e = SubscribeAll(o, *fleet, *sources, exit); e != kExitOk) return e;
  }
  // Subscribed first and fetched second, so no line falls between the two
  // (the cursors drop the live copies of history lines).
  Cursors cursors;
  if (o.lines > 0) {
    auto history = History(o, *sources, &cursors);
    if (!history.ok()) return ReportFailure(history.status());
    for (const HistoryLine& h : *history) {
      if (!Print(o, LineOf(*h.source, h.node, h.stream, h.line))) return exit;
    }
  }
  if (!o.follow || sources->empty()) return exit;
  return WorseExit(exit, Follow(*sources, o, stop.get(), cursors));
}

}  // namespace

Command AddTail(CLI::App& app) {
  auto o = std::make_shared<TailOptions>();
  CLI::App* sub = app.add_subcommand(
      "tail", "Print a node's (or every node's) recent output lines, and follow them");
  o->app = sub;
  sub->footer(
      "zsupd keeps at least the last 1,000 lines per node and stream in memory; when it has "
      "fewer than -n N because older ones were dropped, a note on stderr says so. Output a node "
      "writes to its stdout_file/stderr_file is not kept unless it was created with --tee: for "
      "NODE, tail then says on stderr where the file is (and exits 0 if that was the only "
      "stream asked for); --all leaves such streams out. With -f, a NODE zsupd does not know "
      "(yet) is waited for, with a warning, and a zsupd that stops answering (checked every "
      "--timeout) is told once on stderr, and again once it is back.");
  CLI::Option* node = sub->add_option("NODE", o->node, "the node (exactly this name)");
  CLI::Option* all = sub->add_flag(
      "--all", o->all,
      "every node instead of NODE: -n N lines of each, merged by time, each line prefixed by "
      "its node's name (\"worker-1: ...\", after the --timestamps time; --json names it in "
      "the object); with -f also the lines of nodes created later");
  node->excludes(all);
  sub->add_option("-n,--lines", o->lines, "how many recent lines to print first")
      ->capture_default_str()
      ->check(cli::NonNegative());
  sub->add_flag("-f,--follow", o->follow, "keep printing new lines until interrupted (Ctrl-C)");
  CLI::Option* err = sub->add_flag("--stderr", o->stderr_only, "standard error instead");
  CLI::Option* both = sub->add_flag(
      "--both", o->both,
      "both streams, merged by time: the node's stdout lines on zsupctl's stdout, its stderr "
      "lines on zsupctl's stderr (-n N lines of each); add 2>&1 to see them in one stream. "
      "With --json all on stdout");
  err->excludes(both);
  CLI::Option* timestamps = sub->add_flag(
      "-t,--timestamps", o->timestamps,
      "prefix each line with its time (when the stem read it), UTC to the millisecond: "
      "\"2026-12-02T19:37:01.818Z \"");
  CLI::Option* json = sub->add_flag(
      "--json", o->json,
      "one JSON object per line: {\"node\", \"stream\": \"stdout\"/\"stderr\", \"seq\", "
      "\"at\" (Unix seconds), \"msg\"} (invalid UTF-8 replaced)");
  json->excludes(timestamps);
  return {sub, [o](const GlobalOptions& g) { return Run(*o, g); }};
}

}  // namespace zsup::ctl
