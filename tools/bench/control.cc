// Control round trip: `ping`, and `status` of one running node, each timed
// from send to reply on one long-lived REQ socket. The floor is a bare
// REQ/REP ping over ipc to a process that decodes nothing. The three are
// measured in interleaved blocks so that machine noise hits them alike.
#include "broker/codec.h"
#include "tools/bench/bench.h"
#include "tools/bench/client.h"
#include "tools/bench/floors.h"
#include "tools/bench/stats.h"

namespace zsup::bench {
namespace {

constexpr int kBlocks = 5;
constexpr int kControlWarmup = 200;

// Times `n` round trips of `request`; every reply is checked with `check`
// after its time is taken.
Status TimeCalls(Control& control, const std::string& request, int n,
                 Status (*check)(const std::string&), std::vector<double>* samples) {
  for (int i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    auto reply = control.Call(request);
    const double t = SecondsSince(t0);
    if (!reply.ok()) return reply.status();
    Status s = check(*reply);
    if (!s.ok()) return s;
    if (samples != nullptr) samples->push_back(t);
  }
  return Status::Ok();
}

Status CheckPing(const std::string& reply) {
  auto r = DecodePingReply(reply);
  return r.ok() ? Status::Ok() : r.status();
}

Status CheckStatusOfOne(const std::string& reply) {
  auto r = DecodeStatusReply(reply);
  if (!r.ok()) return r.status();
  if (r->nodes.size() != 1) {
    return Status::Error("status of one node returned " + std::to_string(r->nodes.size()) +
                         " nodes");
  }
  return Status::Ok();
}

}  // namespace

Status RunControl(Bench& b) {
  auto session = StartSession(b, "zb-ctl", {"node_status/"});
  if (!session.ok()) return session.status();
  Daemon& daemon = *(*session)->daemon;
  Control& control = *(*session)->control;
  Status s = control.Create(TestNodeConfig(b.paths.test_node, "ctl"));
  if (!s.ok()) return daemon.WithLog(s);
  if (!(*session)->events->WaitFor([](const Event&) { return true; }, milliseconds(10000))) {
    return daemon.WithLog(Status::Error("node 'ctl' did not start"));
  }
  auto floor = BareRepFloor::Start(*b.context, b.paths.self, (*session)->dir.path());
  if (!floor.ok()) return floor.status();

  const std::string ping = EncodeRequest(PingRequest{});
  const std::string status = EncodeRequest(StatusRequest{"ctl"});
  s = TimeCalls(control, ping, kControlWarmup, CheckPing, nullptr);
  if (s.ok()) s = TimeCalls(control, status, kControlWarmup, CheckStatusOfOne, nullptr);
  std::vector<double> floor_samples, ping_samples, status_samples;
  const int per_block = std::max(1, b.counts.round_trips / kBlocks);
  for (int block = 0; block < kBlocks && s.ok(); ++block) {
    s = (*floor)->Measure(per_block, &floor_samples);
    if (s.ok()) s = TimeCalls(control, ping, per_block, CheckPing, &ping_samples);
    if (s.ok()) s = TimeCalls(control, status, per_block, CheckStatusOfOne, &status_samples);
  }
  if (!s.ok()) return daemon.WithLog(s);
  const Summary f = Summarize(floor_samples), p = Summarize(ping_samples),
                st = Summarize(status_samples);

  nlohmann::json& j = b.report->Figure("control");
  j["floor_bare_zmq_ping"] = ToJson(f);
  j["ping"] = ToJson(p);
  j["status_one_node"] = ToJson(st);
  j["ping_p50_over_floor"] = p.p50 / f.p50;
  j["status_p50_over_floor"] = st.p50 / f.p50;

  auto add = [&](const std::string& name, double value, double floor_value, bool judged) {
    const double ratio = value / floor_value;
    b.report->Add({name, FormatSeconds(value), FormatSeconds(floor_value), ratio,
                   FormatRatio(ratio), judged ? "≤ 2× floor" : "",
                   judged ? Judge(ratio <= 2.0) : Mark::kInfo});
  };
  add("control: ping p50", p.p50, f.p50, true);
  add("control: ping p99", p.p99, f.p99, false);
  add("control: status of 1 node p50", st.p50, f.p50, true);
  add("control: status of 1 node p99", st.p99, f.p99, false);
  return daemon.WithLog(daemon.Stop());
}

}  // namespace zsup::bench
