#include "tools/zsupctl/show_format.h"

#include <gtest/gtest.h>
#include <signal.h>

namespace zsup::ctl {
namespace {

constexpr double kNow = 1795646401;  // 2026-11-25T22:40:01Z

// A crashing worker with most of what a config can say.
NodeDetail Worker() {
  NodeDetail d;
  d.name = "worker-1";
  NodeStatus& s = d.status;
  s.node.name = "worker-1";
  s.node.command = {"/opt/bin/worker", "--id=1", "it's here"};
  s.node.directory = "/var/lib/w1";
  s.node.env = {{"A", "1"}, {"MODE", "fast lane"}};
  s.node.user = "zeek";
  s.node.group = "pcap";
  s.node.capabilities = {"CAP_NET_RAW", "CAP_NET_ADMIN"};
  s.node.umask = 027;
  s.node.rlimits = {{"core", Rlimit{-1, -1}}, {"nofile", Rlimit{1024, 4096}}};
  s.node.stdout_file = "out.log";
  s.node.stdout_rotate = Rotation{1000000, 3};
  s.node.restart_policy = "on-failure";
  s.node.permanent_failure_codes = {3, 4};
  s.node.start_limit_burst = 5;
  s.node.stop_signal = "INT";
  s.node.stop_timeout = 2.5;
  s.node.ready = "notify";
  s.node.stage = 1;
  s.node.name_space = "zeek";
  s.state = NodeState::kBackoff;
  s.desired_up = true;
  s.restarts = 3;
  s.ready = false;
  s.next_start_at = kNow + 2;
  s.last_error = "node 'worker-1' failed to exec '/opt/bin/worker': No such file or directory";
  s.last_exit = ExitInfo{1, {}, kNow - 1, false};
  s.exits = std::vector<ExitInfo>{{1, {}, kNow - 1, false},
                                  {{}, SIGTERM, kNow - 180, true},
                                  {{}, SIGKILL, kNow - 3600, false}};
  d.stderr_lines = {{"loading", 7, kNow - 3}, {"boom", 8, kNow - 1}};
  return d;
}

TEST(ShowFormatTest, ABlockSaysEverythingAboutTheNode) {
  EXPECT_EQ(FormatNodeDetail(Worker(), kNow),
            "worker-1\n"
            "  state:         backoff (desired up)\n"
            "  next start:    in 2s (2026-11-25T22:40:03Z)\n"
            "  ready:         -\n"
            "  pid:           -\n"
            "  uptime:        -\n"
            "  restarts:      3\n"
            "  last error:    node 'worker-1' failed to exec '/opt/bin/worker': No such file or "
            "directory\n"
            "  command:       /opt/bin/worker --id=1 'it'\\''s here'\n"
            "  directory:     /var/lib/w1\n"
            "  env:           A=1\n"
            "                 MODE=fast lane\n"
            "  user:          zeek, group pcap\n"
            "  capabilities:  CAP_NET_RAW, CAP_NET_ADMIN\n"
            "  umask:         0027\n"
            "  rlimits:       core=unlimited, nofile=1024:4096\n"
            "  stdout:        out.log (rotated at 1000000 bytes, 3 backups)\n"
            "  restart:       on-failure; permanent failure codes 3, 4; start limit 5 starts in "
            "10s\n"
            "  stop:          SIGINT, then SIGKILL after 2.5s\n"
            "  ready when:    notify, timeout 60s\n"
            "  stage:         1\n"
            "  namespace:     zeek\n"
            "  last exits:    2026-11-25T22:40:00Z  code 1, 1s ago\n"
            "                 2026-11-25T22:37:01Z  SIGTERM (commanded), 3m ago\n"
            "                 2026-11-25T21:40:01Z  SIGKILL, 1h ago\n"
            "  recent stderr:\n"
            "    2026-11-25T22:39:58Z loading\n"
            "    2026-11-25T22:40:00Z boom\n");
}

TEST(ShowFormatTest, ARunningNodeWithDefaultsIsShort) {
  NodeDetail d;
  d.name = "w2";
  d.host = "sensor2";
  d.status.node.name = "w2";
  d.status.node.command = {"sleep", "1000"};
  d.status.state = NodeState::kRunning;
  d.status.desired_up = true;
  d.status.pid = 4711;
  d.status.started_at = kNow - 192;
  d.status.restarts = 0;
  d.status.ready = true;
  d.status.exits = std::vector<ExitInfo>{};
  d.stderr_note = "goes to /var/log/w2.err, not published";
  EXPECT_EQ(FormatNodeDetail(d, kNow),
            "w2 on sensor2\n"
            "  state:         running (desired up)\n"
            "  ready:         yes\n"
            "  pid:           4711\n"
            "  uptime:        3m12s (since 2026-11-25T22:36:49Z)\n"
            "  restarts:      0\n"
            "  command:       sleep 1000\n"
            "  restart:       always\n"
            "  stop:          SIGTERM, then SIGKILL after zsupd's --stop-timeout\n"
            "  ready when:    exec\n"
            "  last exit:     -\n"
            "  recent stderr: goes to /var/log/w2.err, not published\n");
}

TEST(ShowFormatTest, AZsupdWithoutDetailStillShowsTheLastExit) {
  NodeDetail d = Worker();
  d.status.exits.reset();
  d.stderr_lines.clear();
  const std::string text = FormatNodeDetail(d, kNow);
  EXPECT_NE(text.find("  last exit:     2026-11-25T22:40:00Z  code 1, 1s ago\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("  recent stderr: -\n"), std::string::npos) << text;
}

TEST(ShowFormatTest, ZeekModeNodesShowTheirZeekFields) {
  NodeDetail d;
  d.name = "worker-1";
  d.status.node.name = "worker-1";
  d.status.node.interface = "eth0";
  d.status.node.addl_base_scripts = {"base/a.zeek"};
  d.status.node.addl_user_scripts = {"site/b.zeek"};
  d.status.node.cluster = {
      {"manager", ClusterEndpoint{ClusterRole::kManager, "10.0.0.1", {27760, "tcp"}, {}, {}, {}}},
      {"worker-1", ClusterEndpoint{ClusterRole::kWorker, "10.0.0.2", {27761, "tcp"}, {}, {}, {}}}};
  const std::string text = FormatNodeDetail(d, kNow);
  EXPECT_NE(text.find("  command:       zeek (zsupd's --zeek binary)\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("  interface:     eth0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  scripts:       base/a.zeek\n                 site/b.zeek\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  cluster:       2 members, this one WORKER at 10.0.0.2:27761\n"),
            std::string::npos)
      << text;
}

TEST(ShowFormatTest, ShellJoinQuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(ShellJoin({"sh", "-c", "echo $HOME; exit 1"}), "sh -c 'echo $HOME; exit 1'");
  EXPECT_EQ(ShellJoin({"a=b", "/x/y.z", ""}), "a=b /x/y.z ''");
  EXPECT_EQ(ShellJoin({"it's"}), "'it'\\''s'");
}

TEST(ShowFormatTest, JsonIsStatusJsonPlusExitsAndStderr) {
  NodeDetail d = Worker();
  d.host = "sensor2";
  const nlohmann::ordered_json j = NodeDetailJson(d, kNow);
  EXPECT_EQ(j.begin().key(), "host");
  EXPECT_EQ(j["host"], "sensor2");
  EXPECT_EQ(j["name"], "worker-1");
  EXPECT_EQ(j["state"], "backoff");
  EXPECT_EQ(j["last_exit"]["commanded"], false);
  ASSERT_EQ(j["exits"].size(), 3u);
  EXPECT_EQ(j["exits"][1]["signal_name"], "SIGTERM");
  EXPECT_EQ(j["exits"][1]["commanded"], true);
  ASSERT_EQ(j["stderr"].size(), 2u);
  EXPECT_EQ(j["stderr"][1]["msg"], "boom");
  EXPECT_EQ(j["stderr"][1]["seq"], 8);
  EXPECT_TRUE(j["stderr_note"].is_null());
  EXPECT_EQ(j["config"]["env"]["MODE"], "fast lane");
}

}  // namespace
}  // namespace zsup::ctl
