// zsup-bench: starts real zsupd daemons in temp state dirs and measures each
// figure of issue 6 beside its physical floor from the same run; prints a
// table and, with --json FILE, writes every number. See docs/benchmarks.md.
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <climits>
#include <ctime>
#include <exception>
#include <functional>
#include <iostream>

#include "base/cli_errors.h"
#include "tools/bench/bench.h"
#include "tools/bench/floors.h"
#include "tools/bench/stats.h"

namespace zsup::bench {
namespace {

const std::vector<std::string> kFigures = {"control", "create", "revival", "output",
                                           "file_output", "scale", "replay", "apply",
                                           "cli"};

std::string SelfPath() {
  char exe[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  return n > 0 ? std::string(exe, static_cast<size_t>(n)) : "";
}

// `built` (the build tree, compiled in) if it is there, else `name` next to
// this binary (an installed layout).
std::string DefaultPath(const std::string& built, const std::string& name) {
  if (::access(built.c_str(), X_OK) == 0) return built;
  const std::string self = SelfPath();
  return self.substr(0, self.rfind('/') + 1) + name;
}

void RaiseFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

std::string Now() {
  std::time_t t = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

int Run(int argc, char** argv) {
  CLI::App app{
      "zsup-bench: measures zsupd end to end (control round trip, create → running, revival, "
      "output throughput, scale, replay and adoption), each beside the floor this machine "
      "allows, measured in the same run.", "zsup-bench"};
  bool quick = false;
  std::string json_path;
  std::vector<std::string> only;
  Bench b;
  b.paths.zsupd = DefaultPath(ZSUPD_PATH, "zsupd");
  b.paths.stem = DefaultPath(STEM_PATH, "zsup-stem");
  b.paths.test_node = DefaultPath(TEST_NODE_PATH, "test_node");
  b.paths.zsupctl = DefaultPath(ZSUPCTL_PATH, "zsupctl");
  b.paths.bench_true = DefaultPath(BENCH_TRUE_PATH, "zsup-bench-true");
  b.paths.self = SelfPath();
  std::string serve_rep, serve_pub;
  int ready_fd = -1, pub_nodes = 1, pub_line_bytes = 100;
  int64_t pub_lines = 0;
  app.add_flag("--quick", quick, "small counts (under a minute); for smoke tests, not for judging");
  app.add_option("--json", json_path, "write every number to FILE as JSON");
  app.add_option("--only", only, "run only these figures (repeat or comma-separate)")
      ->delimiter(',')
      ->check(CLI::IsMember(kFigures));
  app.add_option("--zsupd", b.paths.zsupd, "zsupd binary")->capture_default_str();
  app.add_option("--stem", b.paths.stem, "zsup-stem binary")->capture_default_str();
  app.add_option("--node", b.paths.test_node, "test_node binary (the supervised node)")
      ->capture_default_str();
  app.add_option("--zsupctl", b.paths.zsupctl, "zsupctl binary (the cli figure)")
      ->capture_default_str();
  int nodes = 0;
  app.add_option("--nodes", nodes,
                 "nodes of the scale, replay and apply figures (default 1,000; --quick 100); "
                 "10,000 is issue 16's large case")
      ->check(CLI::Range(1, 100000));
  app.add_option("--events-hwm", b.events_hwm,
                 "pass --events-hwm N to zsupd (default: zsupd's own default)")
      ->check(cli::Positive());
  // Internal: the bare REQ/REP and PUB→SUB floors' server processes.
  app.add_option("--serve-rep", serve_rep)->group("");
  app.add_option("--serve-pub", serve_pub)->group("");
  app.add_option("--pub-nodes", pub_nodes)->group("");
  app.add_option("--pub-lines", pub_lines)->group("");
  app.add_option("--pub-line-bytes", pub_line_bytes)->group("");
  app.add_option("--ready-fd", ready_fd)->group("");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli::ReportParseError(app, e);
  }
  if (!serve_rep.empty()) return ServeRep(serve_rep, ready_fd);
  if (!serve_pub.empty()) {
    return ServePub(serve_pub, pub_nodes, pub_lines, pub_line_bytes, ready_fd);
  }

  for (const std::string* p : {&b.paths.zsupd, &b.paths.stem, &b.paths.test_node,
                               &b.paths.zsupctl, &b.paths.bench_true}) {
    if (::access(p->c_str(), X_OK) != 0) {
      std::cerr << "zsup-bench: cannot run " << *p << " (build it, or pass its path)\n";
      return 2;
    }
  }
  RaiseFileLimit();
  InstallInterruptHandlers();
  b.quick = quick;
  b.counts = quick ? Counts::Quick() : Counts::Full();
  if (nodes > 0) b.counts.scale_nodes = nodes;
  if (only.empty()) only = kFigures;
  auto selected = [&only](const std::string& f) {
    return std::find(only.begin(), only.end(), f) != only.end();
  };

  zmq::context_t context(1);
  nlohmann::json header;
  header["bench"] = {{"version", ZSUP_VERSION}, {"quick", quick},
                     {"started", Now()},        {"zsupd", b.paths.zsupd},
                     {"stem", b.paths.stem},    {"node", b.paths.test_node}};
  header["machine"] = MachineInfo();
  header["counts"] = {
      {"round_trips", b.counts.round_trips},   {"creates", b.counts.creates},
      {"revivals", b.counts.revivals},         {"output_lines", b.counts.output_lines},
      {"output_nodes", b.counts.output_nodes}, {"multi_node_lines", b.counts.multi_node_lines},
      {"line_bytes", b.counts.line_bytes},     {"scale_nodes", b.counts.scale_nodes},
      {"status_calls", b.counts.status_calls}, {"file_output_bytes", b.counts.file_output_bytes},
      {"cli_calls", b.counts.cli_calls}};
  Report report(header);
  b.context = &context;
  b.report = &report;
  const std::string machine = header["machine"]["cpu"].get<std::string>() + ", " +
                              std::to_string(header["machine"]["cores_online"].get<long>()) +
                              " cores, " + header["machine"]["kernel"].get<std::string>() +
                              "; load at start " +
                              header["machine"]["loadavg_at_start"].get<std::string>();
  std::cerr << "zsup-bench" << (quick ? " --quick" : "") << " on " << machine << "\n";

  const auto t0 = Clock::now();
  std::optional<TempDir> scaled;
  auto run = [&](const std::string& figure, const std::function<Status()>& fn) {
    if (!selected(figure) || Interrupted()) return;
    std::cerr << "  " << figure << " ..." << std::flush;
    const auto t = Clock::now();
    Status s;
    try {
      s = fn();
    } catch (const std::exception& e) {
      s = Status::Error(std::string("exception: ") + e.what());
    }
    std::cerr << " " << FormatNumber(SecondsSince(t), 1) << " s" << (s.ok() ? "" : " FAILED")
              << "\n";
    if (!s.ok()) report.AddError(figure, s.message());
  };
  run("control", [&] { return RunControl(b); });
  run("create", [&] { return RunCreate(b); });
  run("revival", [&] { return RunRevival(b); });
  run("output", [&] { return RunOutput(b); });
  run("file_output", [&] { return RunFileOutput(b); });
  run("scale", [&] { return RunScale(b, &scaled); });
  run("replay", [&] { return RunReplay(b, std::move(scaled)); });
  run("apply", [&] { return RunApply(b); });
  run("cli", [&] { return RunCli(b); });
  const double total = SecondsSince(t0);
  report.Figure("run")["seconds"] = total;
  report.Figure("run")["loadavg_at_end"] = ReadTextFile("/proc/loadavg");

  std::cout << "\nzsup-bench" << (quick ? " --quick (reduced counts: marks are indicative)" : "")
            << ", " << FormatNumber(total, 1) << " s\n"
            << machine << "\n\n";
  report.Print(std::cout);
  if (!json_path.empty()) {
    Status s = report.WriteJson(json_path);
    if (!s.ok()) {
      std::cerr << "zsup-bench: " << s.message() << "\n";
      return 1;
    }
  }
  if (Interrupted()) return 130;
  return report.errors() > 0 ? 1 : 0;
}

}  // namespace
}  // namespace zsup::bench

int main(int argc, char** argv) {
  try {
    return zsup::bench::Run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "zsup-bench: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "zsup-bench: unknown exception\n";
  }
  return 1;
}
