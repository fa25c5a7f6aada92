#include "broker/zeek_layout.h"

#include <gtest/gtest.h>

namespace zsup {
namespace {

ClusterEndpoint Ep(ClusterRole role, const std::string& host, uint16_t port,
                   std::optional<uint16_t> metrics = std::nullopt) {
  ClusterEndpoint ep;
  ep.role = role;
  ep.host = host;
  ep.p.port = port;
  if (metrics) ep.metrics_port = Port{*metrics, "tcp"};
  return ep;
}

TEST(ZeekLayoutTest, EntriesInPortOrderWithManagerAndMetricsAsZeekControlWritesThem) {
  std::map<std::string, ClusterEndpoint> cluster = {
      {"worker-1", Ep(ClusterRole::kWorker, "127.0.0.1", 41241, 9995)},
      {"manager", Ep(ClusterRole::kManager, "127.0.0.1", 41237, 9991)},
      {"logger-1", Ep(ClusterRole::kLogger, "127.0.0.1", 41238)},
      {"proxy-1", Ep(ClusterRole::kProxy, "127.0.0.1", 41240, 9994)},
  };
  auto text = ClusterLayoutScript(cluster, 41236);
  ASSERT_TRUE(text.ok()) << text.error();
  EXPECT_EQ(*text,
            "# Automatically generated. Do not edit.\n"
            "redef Cluster::manager_is_logger = F;\n"
            "redef Cluster::nodes = {\n"
            "\t[\"control\"] = [$node_type=Cluster::CONTROL, $ip=127.0.0.1, $p=41236/tcp],\n"
            "\t[\"manager\"] = [$node_type=Cluster::MANAGER, $ip=127.0.0.1, $p=41237/tcp, "
            "$metrics_port=9991/tcp],\n"
            "\t[\"logger-1\"] = [$node_type=Cluster::LOGGER, $ip=127.0.0.1, $p=41238/tcp],\n"
            "\t[\"proxy-1\"] = [$node_type=Cluster::PROXY, $ip=127.0.0.1, $p=41240/tcp, "
            "$manager=\"manager\", $metrics_port=9994/tcp],\n"
            "\t[\"worker-1\"] = [$node_type=Cluster::WORKER, $ip=127.0.0.1, $p=41241/tcp, "
            "$manager=\"manager\", $metrics_port=9995/tcp],\n"
            "};\n");
}

TEST(ZeekLayoutTest, WithoutLoggerTheManagerLogsAndIpv6IsBracketed) {
  auto text = ClusterLayoutScript({{"m", Ep(ClusterRole::kManager, "::1", 1)},
                                   {"w\"x", Ep(ClusterRole::kWorker, "::1", 2)}});
  ASSERT_TRUE(text.ok()) << text.error();
  EXPECT_NE(text->find("manager_is_logger = T;"), std::string::npos);
  EXPECT_NE(text->find("$ip=[::1], $p=1/tcp]"), std::string::npos);
  EXPECT_NE(text->find("[\"w\\\"x\"]"), std::string::npos) << *text;
  EXPECT_EQ(text->find("CONTROL"), std::string::npos);
}

TEST(ZeekLayoutTest, RefusesHostNamesAndTwoManagers) {
  EXPECT_EQ(ClusterLayoutScript({{"m", Ep(ClusterRole::kManager, "localhost", 1)}}).error(),
            "cluster entry 'm': host 'localhost' is not an IP address (Zeek's layout needs one)");
  EXPECT_EQ(ClusterLayoutScript({{"a", Ep(ClusterRole::kManager, "10.0.0.1", 1)},
                                 {"b", Ep(ClusterRole::kManager, "10.0.0.1", 2)}})
                .error(),
            "cluster entries 'a' and 'b' are both a MANAGER");
}

TEST(ZeekLayoutTest, ZeroMqBackendCrossWiresTheProxyEndpoints) {
  ClusterBackend b{"zeromq", "tcp://10.0.0.1:27760", "tcp://10.0.0.1:27761", "127.0.0.1"};
  const std::string text = ClusterBackendScript(b, false);
  EXPECT_NE(text.find("@load policy/frameworks/cluster/backend/zeromq\n"), std::string::npos);
  EXPECT_NE(text.find("listen_xpub_endpoint = \"tcp://10.0.0.1:27760\";"), std::string::npos);
  EXPECT_NE(text.find("listen_xsub_endpoint = \"tcp://10.0.0.1:27761\";"), std::string::npos);
  EXPECT_NE(text.find("connect_xpub_endpoint = \"tcp://10.0.0.1:27761\";"), std::string::npos);
  EXPECT_NE(text.find("connect_xsub_endpoint = \"tcp://10.0.0.1:27760\";"), std::string::npos);
  EXPECT_NE(text.find("ipv6 = F;"), std::string::npos);
  EXPECT_NE(text.find("redef Telemetry::metrics_address = \"127.0.0.1\";"), std::string::npos);
  EXPECT_NE(ClusterBackendScript(b, true).find("ipv6 = T;"), std::string::npos);
  EXPECT_NE(ClusterBackendScript({"broker", {}, {}, {}}, false).find("backend/broker"),
            std::string::npos);
  EXPECT_EQ(ClusterBackendScript({"broker", {}, {}, {}}, false).find("metrics_address"),
            std::string::npos);
}

TEST(ZeekLayoutTest, NodeScriptNamesTheNodeAndAddsTheBackend) {
  NodeConfig c;
  c.name = "worker-1";
  c.cluster = {{"manager", Ep(ClusterRole::kManager, "127.0.0.1", 27762)},
               {"worker-1", Ep(ClusterRole::kWorker, "127.0.0.1", 27763)}};
  c.cluster_backend =
      ClusterBackend{"zeromq", "tcp://127.0.0.1:27760", "tcp://127.0.0.1:27761", {}};
  auto text = NodeLayoutScript(c);
  ASSERT_TRUE(text.ok()) << text.error();
  EXPECT_TRUE(text->starts_with("# The cluster layout of node 'worker-1'"));
  EXPECT_NE(text->find("redef Cluster::nodes"), std::string::npos);
  EXPECT_NE(text->find("listen_xsub_endpoint"), std::string::npos);
  c.cluster["manager"].host = "manager.example";
  EXPECT_EQ(NodeLayoutScript(c).error(),
            "node 'worker-1': cluster entry 'manager': host 'manager.example' is not an IP "
            "address (Zeek's layout needs one)");
}

}  // namespace
}  // namespace zsup
