// Round trips of every message type through its msgpack codec.
#include "broker/codec.h"
#include "broker/json.h"

#include <gtest/gtest.h>

#include "broker/test_util.h"

namespace zsup {
namespace {

using testing::FullConfig;
using testing::Mp;

TEST(CodecTest, FullNodeConfigRoundTrips) {
  NodeConfig c = FullConfig();
  auto back = DecodeNodeConfig(EncodeNodeConfig(c));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(*back, c);
}

TEST(CodecTest, PcapFileConfigRoundTripsInBothForms) {
  NodeConfig c = FullConfig();
  c.interface.reset();  // one or the other
  c.pcap_file = "/data/trace.pcap";
  auto back = DecodeNodeConfig(EncodeNodeConfig(c));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(*back, c);
  auto json = NodeConfigFromJson(NodeConfigToJson(c));
  ASSERT_TRUE(json.ok()) << json.error();
  EXPECT_EQ(*json, c);
  EXPECT_NE(NodeConfigToJson(c).find(R"("pcap_file":"/data/trace.pcap")"), std::string::npos);
}

TEST(CodecTest, MinimalNodeConfigRoundTrips) {
  NodeConfig c;
  c.name = "n";
  auto back = DecodeNodeConfig(EncodeNodeConfig(c));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(*back, c);
  EXPECT_FALSE(back->interface.has_value());
  EXPECT_FALSE(back->bare_mode.has_value());
  EXPECT_FALSE(back->cpu_affinity.has_value());
}

TEST(CodecTest, EncodingIsCanonical) {
  NodeConfig a = FullConfig();
  NodeConfig b = FullConfig();
  EXPECT_EQ(EncodeNodeConfig(a), EncodeNodeConfig(b));
  b.env["C"] = "3";
  EXPECT_NE(EncodeNodeConfig(a), EncodeNodeConfig(b));
}

TEST(CodecTest, NodeConfigDefaultsWhenFieldsAbsent) {
  auto c = DecodeNodeConfig(Mp({{"name", "w"}}));
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_TRUE(c->addl_base_scripts.empty());
  EXPECT_TRUE(c->env.empty());
  EXPECT_TRUE(c->cluster.empty());
  EXPECT_TRUE(c->command.empty());
}

TEST(CodecTest, NilMeansAbsent) {
  auto c = DecodeNodeConfig(Mp({{"name", "w"}, {"interface", nullptr}, {"cpu_affinity", nullptr}}));
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_FALSE(c->interface.has_value());
  EXPECT_FALSE(c->cpu_affinity.has_value());
}

TEST(CodecTest, RoleAcceptsBothSpellings) {
  for (const char* role : {"WORKER", "Supervisor::WORKER"}) {
    auto c = DecodeNodeConfig(Mp(
        {{"name", "w"},
         {"cluster", {{"w", {{"role", role}, {"host", "h"}, {"p", {{"port", 1}, {"proto", "tcp"}}}}}}}}));
    ASSERT_TRUE(c.ok()) << c.error();
    EXPECT_EQ(c->cluster.at("w").role, ClusterRole::kWorker);
  }
}

TEST(CodecTest, EveryRoleRoundTrips) {
  for (ClusterRole role : {ClusterRole::kNone, ClusterRole::kLogger, ClusterRole::kManager,
                           ClusterRole::kProxy, ClusterRole::kWorker}) {
    NodeConfig c;
    c.name = "n";
    c.cluster["n"] = ClusterEndpoint{role, "h", {1, "udp"}, {}, {}, {}};
    auto back = DecodeNodeConfig(EncodeNodeConfig(c));
    ASSERT_TRUE(back.ok()) << back.error();
    EXPECT_EQ(*back, c);
  }
}

TEST(CodecTest, EveryRequestRoundTrips) {
  std::vector<Request> requests = {
      PingRequest{},
      PingRequest{"zsupctl-4711-1"},
      CreateRequest{FullConfig()},
      DestroyRequest{"a"},
      DestroyRequest{""},
      RestartRequest{"b"},
      StatusRequest{""},
      StatusRequest{"c"},
      TailRequest{"d", Stream::kStderr, 50},
      StopRequest{"e"},
      StartRequest{""},
      ReopenRequest{"f"},
  };
  StopRequest by_names;
  by_names.nodes = std::vector<std::string>{"a", "b"};
  requests.push_back(by_names);
  StartRequest none;
  none.nodes = std::vector<std::string>{};
  requests.push_back(none);
  RestartRequest by_namespace;
  by_namespace.name_space = "zeek";
  requests.push_back(by_namespace);
  StatusRequest status_by_namespace;
  status_by_namespace.name_space = "zeek";
  requests.push_back(status_by_namespace);
  StatusRequest detailed;
  detailed.nodes = std::vector<std::string>{"a", "b"};
  detailed.detail = true;
  requests.push_back(detailed);
  for (const Request& r : requests) {
    auto back = DecodeRequest(EncodeRequest(r));
    ASSERT_TRUE(back.ok()) << back.error();
    EXPECT_EQ(*back, r);
  }
}

TEST(CodecTest, AtMostOneSelectorIsGiven) {
  auto r = DecodeRequest(Mp({{"cmd", "stop"}, {"node", "a"}, {"namespace", "z"}}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "at most one of node, nodes and namespace may be given");
  r = DecodeRequest(Mp({{"cmd", "stop"}, {"node", ""}, {"namespace", "z"}}));
  EXPECT_TRUE(r.ok()) << "an empty node is no selector";
}

TEST(CodecTest, Version2ConfigFieldsRoundTripAndLeaveOldFingerprintsAlone) {
  NodeConfig c = FullConfig();
  const std::string before = EncodeNodeConfig(c);
  c.name_space = "zeek";
  c.stop_signal = "INT";
  c.stop_timeout = 2.5;
  c.stage = 2;
  c.ready = "tcp:127.0.0.1:27761";
  c.ready_timeout = 5;
  auto back = DecodeNodeConfig(EncodeNodeConfig(c));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(*back, c);
  c.name_space.reset();
  c.stop_signal.reset();
  c.stop_timeout.reset();
  c.stage.reset();
  c.ready.reset();
  c.ready_timeout.reset();
  EXPECT_EQ(EncodeNodeConfig(c), before) << "unset, they are not encoded";
}

TEST(CodecTest, ClusterBackendRoundTripsAndRefusesUnknownKeys) {
  NodeConfig c = FullConfig();
  const std::string before = EncodeNodeConfig(c);
  c.cluster_backend =
      ClusterBackend{"zeromq", "tcp://10.0.0.1:27760", "tcp://10.0.0.1:27761", "127.0.0.1"};
  auto back = DecodeNodeConfig(EncodeNodeConfig(c));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(*back, c);
  c.cluster_backend = ClusterBackend{"broker", {}, {}, {}};
  back = DecodeNodeConfig(EncodeNodeConfig(c));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(*back, c);
  c.cluster_backend.reset();
  EXPECT_EQ(EncodeNodeConfig(c), before);
  auto bad = NodeConfigFromJson(R"({"name": "w", "cluster_backend": {"type": "zeromq", "x": 1}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("cluster_backend"), std::string::npos) << bad.error();
}

TEST(CodecTest, ExecutionFieldsRoundTripInBothForms) {
  NodeConfig c = FullConfig();
  const std::string before = EncodeNodeConfig(c);
  c.user = "zeek";
  c.group = "pcap";
  c.capabilities = {"CAP_NET_RAW", "CAP_NET_ADMIN"};
  c.umask = 027;
  c.nice = -5;
  c.rlimits = {{"nofile", Rlimit{65536, 65536}}, {"core", Rlimit{0, -1}}};
  c.stdout_rotate = Rotation{1 << 20, 5};
  c.stderr_rotate = Rotation{4096, 0};
  c.tee = true;
  auto back = DecodeNodeConfig(EncodeNodeConfig(c));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(*back, c);
  auto json = NodeConfigFromJson(NodeConfigToJson(c));
  ASSERT_TRUE(json.ok()) << json.error();
  EXPECT_EQ(*json, c);
  EXPECT_NE(NodeConfigToJson(c).find(R"("rlimits":{"core":[0,-1],"nofile":65536})"),
            std::string::npos)
      << NodeConfigToJson(c);
  c = FullConfig();
  EXPECT_EQ(EncodeNodeConfig(c), before) << "unset, they are not encoded";
}

TEST(CodecTest, RlimitPairOfEqualValuesIsTheSameConfigAsOneInt) {
  auto pair = NodeConfigFromJson(R"({"name": "w", "rlimits": {"nofile": [1024, 1024]}})");
  auto one = NodeConfigFromJson(R"({"name": "w", "rlimits": {"nofile": 1024}})");
  ASSERT_TRUE(pair.ok()) << pair.error();
  ASSERT_TRUE(one.ok()) << one.error();
  EXPECT_EQ(EncodeNodeConfig(*pair), EncodeNodeConfig(*one)) << "one fingerprint";
}

TEST(CodecTest, MalformedExecutionFieldsNameTheirKey) {
  for (const char* text : {
           R"({"name": "w", "rlimits": {"nofile": [1, 2, 3]}})",
           R"({"name": "w", "rlimits": {"nofile": "many"}})",
           R"({"name": "w", "rlimits": [1]})",
           R"({"name": "w", "stdout_rotate": {"max_bytes": 10}})",
           R"({"name": "w", "stdout_rotate": {"max_bytes": 10, "backups": 1, "x": 0}})",
           R"({"name": "w", "capabilities": "CAP_NET_RAW"})",
           R"({"name": "w", "umask": "022"})",
           R"({"name": "w", "tee": 1})",
       }) {
    auto c = NodeConfigFromJson(text);
    ASSERT_FALSE(c.ok()) << text;
    const bool named = c.error().find("rlimits") != std::string::npos ||
                       c.error().find("stdout_rotate") != std::string::npos ||
                       c.error().find("capabilities") != std::string::npos ||
                       c.error().find("umask") != std::string::npos ||
                       c.error().find("tee") != std::string::npos;
    EXPECT_TRUE(named) << text << ": " << c.error();
  }
}

TEST(CodecTest, SelectorDefaultsToAllNodes) {
  auto r = DecodeRequest(Mp({{"cmd", "destroy"}}));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(std::get<DestroyRequest>(*r).node, "");
}

TEST(CodecTest, TailDefaults) {
  auto r = DecodeRequest(Mp({{"cmd", "tail"}, {"node", "x"}}));
  ASSERT_TRUE(r.ok()) << r.error();
  const auto& t = std::get<TailRequest>(*r);
  EXPECT_EQ(t.stream, Stream::kStdout);
  EXPECT_EQ(t.lines, 1000);
}

TEST(CodecTest, PingReplyRoundTrips) {
  auto back = DecodePingReply(EncodePingReply({"1.2.3", 4242}));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(back->version, "1.2.3");
  EXPECT_EQ(back->pid, 4242);
  EXPECT_FALSE(back->protocol.has_value()) << "an older zsupd's reply has no protocol";
  back = DecodePingReply(EncodePingReply({"1.2.3", 4242, 2}));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(back->protocol, 2);
}

TEST(CodecTest, StatusReplyRoundTrips) {
  StatusReport report;
  NodeStatus running;
  running.node = FullConfig();
  running.pid = 77;
  running.state = NodeState::kRunning;
  running.restarts = 2;
  running.started_at = 1700000000.25;
  running.last_exit = ExitInfo{{}, 9, 1699999999.5};
  running.last_error = "node 'worker-1' failed to exec 'zeek': No such file or directory";
  NodeStatus idle;
  idle.node.name = "idle";
  idle.state = NodeState::kBackoff;
  idle.last_exit = ExitInfo{3, {}, 1.0};
  idle.next_start_at = 1700000001.5;
  running.desired_up = true;
  NodeStatus stopped;
  stopped.node.name = "stopped";
  stopped.state = NodeState::kStopped;
  stopped.desired_up = false;
  report.nodes["worker-1"] = running;
  report.nodes["idle"] = idle;
  report.nodes["stopped"] = stopped;
  auto back = DecodeStatusReply(EncodeStatusReply(report));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(*back, report);
}

TEST(CodecTest, StatusReplyCarriesCommandedAndTheExitHistory) {
  StatusReport report;
  NodeStatus s;
  s.node.name = "w";
  s.last_exit = ExitInfo{0, {}, 3.0, true};
  s.exits = std::vector<ExitInfo>{{0, {}, 3.0, true}, {{}, 9, 2.0, false}, {1, {}, 1.0, false}};
  report.nodes["w"] = s;
  NodeStatus empty_history;
  empty_history.node.name = "x";
  empty_history.exits = std::vector<ExitInfo>{};
  report.nodes["x"] = empty_history;
  const std::string bytes = EncodeStatusReply(report);
  auto back = DecodeStatusReply(bytes);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(*back, report);
  auto j = nlohmann::json::from_msgpack(bytes);
  const auto& n = j["status"]["nodes"]["w"];
  EXPECT_EQ(n["last_exit"]["commanded"], true);
  ASSERT_EQ(n["exits"].size(), 3u);
  EXPECT_EQ(n["exits"][1]["signal"], 9);
  EXPECT_EQ(n["exits"][1]["commanded"], false);
  EXPECT_EQ(j["status"]["nodes"]["x"]["exits"], nlohmann::json::array());
}

TEST(CodecTest, AnExitWithoutCommandedFromAnOlderZsupdIsNotCommanded) {
  auto back = DecodeStatusReply(Mp(
      {{"ok", true},
       {"status",
        {{"nodes",
          {{"w", {{"node", {{"name", "w"}}}, {"last_exit", {{"code", 1}, {"at", 2.5}}}}}}}}}}));
  ASSERT_TRUE(back.ok()) << back.error();
  const NodeStatus& w = back->nodes.at("w");
  ASSERT_TRUE(w.last_exit);
  EXPECT_EQ(*w.last_exit, (ExitInfo{1, {}, 2.5, false}));
  EXPECT_FALSE(w.exits) << "absent unless asked for";
}

TEST(CodecTest, DetailIsOnlyForStatusAndOnlySentWhenAsked) {
  auto j = nlohmann::json::from_msgpack(EncodeRequest(StatusRequest{"w"}));
  EXPECT_FALSE(j.contains("detail")) << "a plain status is what every zsupd understands";
  auto r = DecodeRequest(Mp({{"cmd", "status"}, {"node", "w"}, {"detail", true}}));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_TRUE(std::get<StatusRequest>(*r).detail);
  r = DecodeRequest(Mp({{"cmd", "status"}, {"detail", "yes"}}));
  EXPECT_FALSE(r.ok());
  r = DecodeRequest(Mp({{"cmd", "restart"}, {"node", "w"}, {"detail", true}}));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("unknown field 'detail'"), std::string::npos) << r.error();
}

TEST(CodecTest, EmptyStatusReplyRoundTrips) {
  auto back = DecodeStatusReply(EncodeStatusReply({}));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_TRUE(back->nodes.empty());
}

TEST(CodecTest, TailReplyRoundTrips) {
  std::vector<OutputLine> lines = {{"first", 1, 10.5}, {"second", 2, 11.0}};
  auto back = DecodeTailReply(EncodeTailReply(lines));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(*back, lines);
}

TEST(CodecTest, OkAndErrorReplies) {
  EXPECT_TRUE(DecodeOkReply(EncodeOkReply()).ok());
  Status s = DecodeOkReply(EncodeErrorReply("node with name 'x' already exists"));
  EXPECT_EQ(s.code(), Status::Code::kRefused);
  EXPECT_EQ(s.message(), "node with name 'x' already exists");
  auto ping = DecodePingReply(EncodeErrorReply("nope"));
  EXPECT_EQ(ping.status().code(), Status::Code::kRefused);
}

TEST(CodecTest, ErrorReplyHasOkFalseAndError) {
  auto j = nlohmann::json::from_msgpack(EncodeErrorReply("bad"));
  EXPECT_EQ(j, nlohmann::json({{"ok", false}, {"error", "bad"}}));
}

TEST(CodecTest, EventsRoundTrip) {
  NodeStatusEvent st{"w1", 100, 3, 5.5};
  auto e = DecodeEvent(EventTopic(EventKind::kNodeStatus, "w1"), EncodeNodeStatusEvent(st));
  ASSERT_TRUE(e.ok()) << e.error();
  EXPECT_EQ(e->kind, EventKind::kNodeStatus);
  EXPECT_EQ(std::get<NodeStatusEvent>(e->payload), st);

  for (NodeExitEvent ex : {NodeExitEvent{"w1", 100, 0, {}, true, 6.0},
                           NodeExitEvent{"w1", 101, {}, 9, false, 7.0}}) {
    e = DecodeEvent(EventTopic(EventKind::kNodeExit, "w1"), EncodeNodeExitEvent(ex));
    ASSERT_TRUE(e.ok()) << e.error();
    EXPECT_EQ(std::get<NodeExitEvent>(e->payload), ex);
  }

  OutputEvent out{"w1", "hello world", 42, 8.0};
  for (EventKind kind : {EventKind::kStdout, EventKind::kStderr}) {
    e = DecodeEvent(EventTopic(kind, "w1"), EncodeOutputEvent(out));
    ASSERT_TRUE(e.ok()) << e.error();
    EXPECT_EQ(e->kind, kind);
    EXPECT_EQ(std::get<OutputEvent>(e->payload), out);
  }
}

TEST(CodecTest, ExitEventCarriesNilForMissingCodeAndSignal) {
  auto j = nlohmann::json::from_msgpack(EncodeNodeExitEvent({"w", 1, {}, 15, true, 2.0}));
  EXPECT_TRUE(j["code"].is_null());
  EXPECT_EQ(j["signal"], 15);
  EXPECT_EQ(j["commanded"], true);
}

TEST(CodecTest, EventTopics) {
  EXPECT_EQ(EventTopic(EventKind::kNodeStatus, "a"), "node_status/a");
  EXPECT_EQ(EventTopic(EventKind::kNodeExit, "a"), "node_exit/a");
  EXPECT_EQ(EventTopic(EventKind::kStdout, "a"), "stdout/a");
  EXPECT_EQ(EventTopic(EventKind::kStderr, "a"), "stderr/a");
}

TEST(CodecTest, EventTopicMustMatchPayloadNode) {
  auto e = DecodeEvent("stdout/w1", EncodeOutputEvent({"w10", "x", 1, 1.0}));
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error(), "event topic names node 'w1' but its payload 'w10'");
}

TEST(CodecTest, StatusEncodingUsesProtocolKeys) {
  StatusReport report;
  NodeStatus s;
  s.node.name = "w";
  s.pid = 5;
  s.state = NodeState::kStopping;
  s.restarts = 0;
  s.started_at = 1.5;
  report.nodes["w"] = s;
  auto j = nlohmann::json::from_msgpack(EncodeStatusReply(report));
  EXPECT_EQ(j["ok"], true);
  const auto& n = j["status"]["nodes"]["w"];
  EXPECT_EQ(n["node"]["name"], "w");
  EXPECT_EQ(n["pid"], 5);
  EXPECT_EQ(n["state"], "stopping");
  EXPECT_EQ(n["restarts"], 0);
  EXPECT_EQ(n["started_at"], 1.5);
  EXPECT_FALSE(n.contains("last_exit"));
}

}  // namespace
}  // namespace zsup
