// ZsupctlTest: zsupctl run against a real zsupd (daemon_fixture.h), with
// helpers to read its output. Shared by zsupctl_test.cc (one-shot
// subcommands) and zsupctl_follow_test.cc (tail and events, following).
#pragma once

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/daemon_fixture.h"

namespace zsup::testing {

using nlohmann::json;

inline size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The table row of `node` (starts with the name and a blank), or "".
inline std::string Row(const std::string& table, const std::string& node) {
  for (const std::string& line : Lines(table)) {
    if (line.starts_with(node + " ")) return line;
  }
  return "";
}

inline std::string JoinLines(const std::vector<std::string>& lines) {
  std::string s;
  for (const std::string& l : lines) s += l + "\n";
  return s;
}

class ZsupctlTest : public DaemonTest {
 protected:
  // zsupctl --state-dir DIR ARGS...
  std::vector<std::string> Ctl(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {ZsupctlPath(), "--state-dir", dir()};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  CommandResult Run(const std::vector<std::string>& args,
                    const std::vector<std::string>& env = {}) {
    return RunCommand(Ctl(args), seconds(20), env);
  }
  std::string WriteFile(const std::string& name, const std::string& content) const {
    const std::string path = dir() + "/" + name;
    std::ofstream(path) << content;
    return path;
  }
  // A node config in Zeek's JSON form running test_node (args as a JSON array).
  static std::string JsonNode(const std::string& name, const std::string& extra = "") {
    return R"({"name": ")" + name + R"(", "command": [")" + TestNodePath() + "\"]" + extra + "}";
  }
  // Restarts `node` until `events` printed something about it: the only way
  // to know a follower's subscription is in place before the test acts.
  bool RestartUntilSeen(BackgroundCommand& events, const std::string& node,
                        const std::string& marker) {
    for (int attempt = 0; attempt < 20; ++attempt) {
      EXPECT_TRUE(Restart(node).ok());
      if (events.WaitForOutput([&](const CommandResult& r) { return Count(r.out, marker) > 0; },
                               milliseconds(1500))) {
        return true;
      }
    }
    return false;
  }
};

}  // namespace zsup::testing
