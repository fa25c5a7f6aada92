// Scale: N sleeping nodes created one after another on one zsupd (the
// default synchronous=FULL), timed until the node_status of the last one;
// then `status` of all nodes, timed from send to the raw reply; then the
// resident memory (VmRSS, and PSS from smaps_rollup) of zsupd and the stem
// with every node running, at once and after 1.5 s without commands.
#include <algorithm>
#include <set>
#include <thread>
#include <vector>

#include "tools/bench/bench.h"
#include "tools/bench/client.h"
#include "tools/bench/stats.h"

namespace zsup::bench {
namespace {

// mimalloc returns the pages a burst of creates freed only after its reset
// delay (100 ms), at a later allocation: the link's heartbeats (1 s) make
// some within this.
constexpr auto kSettle = milliseconds(1500);

// Reads every event already queued, adding started nodes to *started.
void Drain(Events& events, std::set<std::string>* started, milliseconds wait) {
  while (auto e = events.Next(wait)) {
    if (e->kind == EventKind::kNodeStatus)
      started->insert(std::get<NodeStatusEvent>(e->payload).node);
    wait = milliseconds(0);
  }
}

}  // namespace

Status RunScale(Bench& b, std::optional<TempDir>* leftover) {
  const int n = b.counts.scale_nodes;
  auto dir = TempDir::Make("zb-sc");
  if (!dir.ok()) return dir.status();
  {
    Daemon daemon(dir->path(), b.ZsupdOptions());
    Status s = daemon.Start();
    if (!s.ok()) return s;
    Control control(*b.context, daemon.control_endpoint());
    auto events = Events::Connect(*b.context, daemon.events_endpoint(), control, {"node_status/"});
    if (!events.ok()) return daemon.WithLog(events.status());

    std::set<std::string> started;
    std::vector<double> replies;
    const auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) {
      const auto t = Clock::now();
      s = control.Create(TestNodeConfig(b.paths.test_node, "sc-" + std::to_string(i)));
      replies.push_back(SecondsSince(t));
      if (!s.ok()) return daemon.WithLog(s);
      Drain(**events, &started, milliseconds(0));
    }
    const double replied = SecondsSince(t0);
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (static_cast<int>(started.size()) < n && Clock::now() < deadline && !Interrupted()) {
      Drain(**events, &started, milliseconds(100));
    }
    const double all_running = SecondsSince(t0);
    if (Interrupted()) return InterruptedError();
    if (static_cast<int>(started.size()) < n) {
      return daemon.WithLog(Status::Error(std::to_string(started.size()) + " of " +
                                          std::to_string(n) + " nodes started within 60 s"));
    }

    const std::string request = EncodeRequest(StatusRequest{""});
    std::vector<double> samples;
    std::string reply;
    for (int i = 0; i < b.counts.status_calls; ++i) {
      const auto t = Clock::now();
      auto r = control.Call(request);
      samples.push_back(SecondsSince(t));
      if (!r.ok()) return daemon.WithLog(r.status());
      reply = std::move(*r);
    }
    auto report = DecodeStatusReply(reply);
    if (!report.ok()) return daemon.WithLog(report.status());
    int running = 0;
    for (const auto& [name, st] : report->nodes) running += st.state == NodeState::kRunning;
    if (running != n) {
      return daemon.WithLog(Status::Error("status lists " + std::to_string(running) +
                                          " running nodes, expected " + std::to_string(n)));
    }
    const Summary status = Summarize(std::move(samples));
    const ProcessUsage zsupd = ReadUsage(daemon.pid()), stem = ReadUsage(daemon.StemPid());
    const int64_t rss = zsupd.rss_kib + stem.rss_kib;
    const int64_t pss = zsupd.pss_kib + stem.pss_kib;
    // What a supervisor holding n nodes keeps, rather than what the burst of
    // creates left for the allocator to give back: the target is judged on
    // the memory read once both processes have been idle a while.
    std::this_thread::sleep_for(kSettle);
    const ProcessUsage zsupd_idle = ReadUsage(daemon.pid()), stem_idle = ReadUsage(daemon.StemPid());
    const int64_t pss_idle = zsupd_idle.pss_kib + stem_idle.pss_kib;

    const auto t_stop = Clock::now();
    s = daemon.Stop();
    const double stop_seconds = SecondsSince(t_stop);
    if (!s.ok()) return s;

    // Does a create get slower as nodes accumulate? First and last tenth.
    const auto tenth = static_cast<std::ptrdiff_t>(std::max<size_t>(1, replies.size() / 10));
    const Summary first = Summarize({replies.begin(), replies.begin() + tenth});
    const Summary last = Summarize({replies.end() - tenth, replies.end()});

    nlohmann::json& j = b.report->Figure("scale");
    j["create_reply"] = ToJson(Summarize(replies));
    j["create_reply_first_tenth"] = ToJson(first);
    j["create_reply_last_tenth"] = ToJson(last);
    j["nodes"] = n;
    j["create_all_replied_seconds"] = replied;
    j["create_all_running_seconds"] = all_running;
    j["status_all"] = ToJson(status);
    j["status_all_reply_bytes"] = reply.size();
    j["zsupd_rss_kib"] = zsupd.rss_kib;
    j["zsupd_peak_rss_kib"] = zsupd.hwm_kib;
    j["stem_rss_kib"] = stem.rss_kib;
    j["stem_peak_rss_kib"] = stem.hwm_kib;
    j["zsupd_pss_kib"] = zsupd.pss_kib;
    j["stem_pss_kib"] = stem.pss_kib;
    j["zsupd_pss_idle_kib"] = zsupd_idle.pss_kib;
    j["stem_pss_idle_kib"] = stem_idle.pss_kib;
    j["stop_all_seconds"] = stop_seconds;

    const ScaleTargets target = TargetsFor(n);
    const std::string label = "scale, " + std::to_string(n) + " nodes: ";
    b.report->Add({label + "create all → all running", FormatSeconds(all_running), "", std::nullopt,
                   "", "", Mark::kInfo});
    b.report->Add({label + "create reply p50, first / last tenth",
                   FormatSeconds(first.p50) + " / " + FormatSeconds(last.p50), "", std::nullopt, "",
                   "", Mark::kInfo});
    b.report->Add({label + "status of all p50", FormatSeconds(status.p50), "", std::nullopt, "",
                   "≤ " + FormatNumber(target.status_seconds * 1e3, 0) + " ms",
                   Judge(status.p50 <= target.status_seconds, target.judged)});
    b.report->Add({label + "status of all p99", FormatSeconds(status.p99), "", std::nullopt, "", "",
                   Mark::kInfo});
    b.report->Add(
        {label + "RSS zsupd + stem",
         FormatKib(rss) + " (" + FormatKib(zsupd.rss_kib) + " + " + FormatKib(stem.rss_kib) + ")",
         "", std::nullopt, "",
         target.rss_kib ? "≤ " + std::to_string(*target.rss_kib >> 10) + " MiB" : "",
         target.rss_kib ? Judge(rss <= *target.rss_kib, target.judged) : Mark::kInfo});
    b.report->Add(
        {label + "PSS zsupd + stem, at once",
         FormatKib(pss) + " (" + FormatKib(zsupd.pss_kib) + " + " + FormatKib(stem.pss_kib) + ")",
         "", std::nullopt, "", "", Mark::kInfo});
    b.report->Add({label + "PSS zsupd + stem, idle 1.5 s",
                   FormatKib(pss_idle) + " (" + FormatKib(zsupd_idle.pss_kib) + " + " +
                       FormatKib(stem_idle.pss_kib) + ")",
                   "", std::nullopt, "", "≤ " + std::to_string(target.pss_kib >> 10) + " MiB",
                   Judge(pss_idle <= target.pss_kib, target.judged)});
    b.report->Add({label + "orderly stop of all", FormatSeconds(stop_seconds), "", std::nullopt, "",
                   "", Mark::kInfo});
  }
  *leftover = std::move(*dir);
  return Status::Ok();
}

}  // namespace zsup::bench
