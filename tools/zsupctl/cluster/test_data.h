// ZeekControl's own test configs and baselines (tests/data/zeekctl), for
// the unit tests of this folder. Lines starting with "#@ " were added when
// copying (their source); Baseline() strips them and btest's header.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "tools/zsupctl/cluster/ini.h"
#include "tools/zsupctl/cluster/node_cfg.h"

namespace zsup::cluster::testing {

inline std::string DataPath(const std::string& name) {
  return std::string(ZSUP_ZEEKCTL_DATA) + "/" + name;
}

inline std::string Data(const std::string& name) {
  auto text = ReadTextFile(DataPath(name));
  EXPECT_TRUE(text.ok()) << text.error();
  return text.ok() ? *text : std::string();
}

inline std::string Baseline(const std::string& name) {
  std::string out;
  const std::string text = Data(name);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size() - 1;
    const std::string line = text.substr(pos, eol + 1 - pos);
    pos = eol + 1;
    if (line.starts_with("#@ ") || line.starts_with("### BTest")) continue;
    out += line;
  }
  return out;
}

// localhost as a resolver on a dual-stack machine answers it: ::1 first.
inline Result<std::vector<std::string>> FakeResolve(const std::string& host) {
  if (host == "localhost") return std::vector<std::string>{"::1", "127.0.0.1"};
  if (host.find_first_not_of("0123456789.:abcdef") == std::string::npos) {
    return std::vector<std::string>{host};
  }
  if (host == "sensor1.example") return std::vector<std::string>{"10.0.0.21"};
  return Status::Error("Name or service not known");
}

inline Result<NodeCfg> ReadData(const std::string& node_cfg,
                                const ZeekctlOptions& options = DefaultZeekctlOptions()) {
  return ReadNodeCfg(Data(node_cfg), node_cfg, options, FakeResolve);
}

}  // namespace zsup::cluster::testing
