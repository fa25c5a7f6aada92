// CLI: a one-shot `zsupctl status NODE` of a running node, timed as a shell
// sees it: from the vfork until waitpid returns. The floor is the same for
// a static binary that does nothing (tools/bench/bench_true.cc): the cost of
// starting any process on this machine. The two alternate, so machine noise
// hits both.
#include <sys/wait.h>

#include <cerrno>

#include "tools/bench/bench.h"
#include "tools/bench/client.h"
#include "tools/bench/process.h"
#include "tools/bench/stats.h"

namespace zsup::bench {
namespace {

constexpr int kWarmup = 5;
constexpr double kTargetSeconds = 1.5e-3;  // issue 16

// Runs argv to its end; its time, or an error if it did not exit 0.
Result<double> TimeRun(const std::vector<std::string>& argv) {
  const auto t0 = Clock::now();
  auto pid = Spawn(argv);
  if (!pid.ok()) return pid.status();
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(*pid, &status, 0);  // zsupctl gives up after its --timeout
  } while (r < 0 && errno == EINTR);
  const double t = SecondsSince(t0);
  if (r != *pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Status::Error(argv[0] + " did not exit 0 (wait status " + std::to_string(status) + ")");
  }
  return t;
}

}  // namespace

Status RunCli(Bench& b) {
  auto session = StartSession(b, "zb-cli", {"node_status/"});
  if (!session.ok()) return session.status();
  Daemon& daemon = *(*session)->daemon;
  Status s = (*session)->control->Create(TestNodeConfig(b.paths.test_node, "cli"));
  if (!s.ok()) return daemon.WithLog(s);
  if (!(*session)->events->WaitFor([](const Event&) { return true; }, milliseconds(10000))) {
    return daemon.WithLog(Status::Error("node 'cli' did not start"));
  }
  const std::vector<std::string> status = {b.paths.zsupctl, "--endpoint",
                                           daemon.control_endpoint(), "status", "cli"};
  const std::vector<std::string> floor = {b.paths.bench_true};
  std::vector<double> status_samples, floor_samples;
  for (int i = 0; i < kWarmup + b.counts.cli_calls; ++i) {
    if (Interrupted()) return InterruptedError();
    auto f = TimeRun(floor);
    if (!f.ok()) return f.status();
    auto t = TimeRun(status);
    if (!t.ok()) return daemon.WithLog(t.status());
    if (i < kWarmup) continue;
    floor_samples.push_back(*f);
    status_samples.push_back(*t);
  }
  const Summary st = Summarize(std::move(status_samples)), fl = Summarize(std::move(floor_samples));

  nlohmann::json& j = b.report->Figure("cli");
  j["zsupctl_status_one_node"] = ToJson(st);
  j["floor_static_exec"] = ToJson(fl);
  const double ratio = st.p50 / fl.p50;
  b.report->Add({"cli: zsupctl status of 1 node p50", FormatSeconds(st.p50), FormatSeconds(fl.p50),
                 ratio, FormatRatio(ratio), "≤ 1.5 ms", Judge(st.p50 <= kTargetSeconds)});
  b.report->Add({"cli: zsupctl status of 1 node p99", FormatSeconds(st.p99), FormatSeconds(fl.p99),
                 st.p99 / fl.p99, FormatRatio(st.p99 / fl.p99), "", Mark::kInfo});
  return daemon.WithLog(daemon.Stop());
}

}  // namespace zsup::bench
