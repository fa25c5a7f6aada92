// Helpers for broker tests: build msgpack from JSON literals and a NodeConfig
// with every field set.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "broker/messages.h"

namespace zsup::testing {

inline std::string Mp(const nlohmann::json& j) {
  std::vector<uint8_t> bytes = nlohmann::json::to_msgpack(j);
  return std::string(bytes.begin(), bytes.end());
}

inline NodeConfig FullConfig() {
  NodeConfig c;
  c.name = "worker-1";
  c.interface = "eth0";
  c.directory = "/var/lib/zeek/worker-1";
  c.stdout_file = "stdout.log";
  c.stderr_file = "stderr.log";
  c.bare_mode = true;
  c.addl_base_scripts = {"base/a.zeek"};
  c.addl_user_scripts = {"site/b.zeek", "site/c.zeek"};
  c.scripts = {"local.zeek"};
  c.env = {{"A", "1"}, {"B", "two words"}};
  c.cpu_affinity = 3;
  ClusterEndpoint manager{ClusterRole::kManager, "127.0.0.1", {27760, "tcp"}, {}, {}, {}};
  ClusterEndpoint worker{ClusterRole::kWorker, "10.0.0.2",  {27761, "tcp"}, "eth1",
                         "/tmp/x.pcap",       Port{9911, "tcp"}};
  c.cluster = {{"manager", manager}, {"worker-1", worker}};
  c.command = {"/usr/bin/env", "--", "arg with space"};
  return c;
}

}  // namespace zsup::testing
