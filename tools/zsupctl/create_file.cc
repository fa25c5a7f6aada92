#include <iostream>
#include <memory>
#include <set>

#include "broker/json.h"
#include "broker/validation.h"
#include "tools/zsupctl/cluster/ini.h"
#include "tools/zsupctl/client.h"
#include "tools/zsupctl/create.h"

namespace zsup::ctl {
namespace {

constexpr size_t kMaxFileBytes = 64 << 20;

// Every problem of every entry, so one run shows them all.
std::vector<std::string> Problems(const std::vector<NodeConfig>& configs) {
  std::vector<std::string> problems;
  std::set<std::string> seen;
  for (size_t i = 0; i < configs.size(); ++i) {
    const NodeConfig& c = configs[i];
    const std::string where = "[" + std::to_string(i) + "] '" + c.name + "'";
    if (Status s = ValidateNodeConfig(c); !s.ok()) problems.push_back(where + ": " + s.message());
    if (!seen.insert(c.name).second) problems.push_back(where + ": the file names it twice");
  }
  return problems;
}

}  // namespace

std::optional<std::vector<NodeConfig>> ReadConfigFile(const CLI::App& command,
                                                      const std::string& path,
                                                      const std::string& nothing_done) {
  auto text = cluster::ReadTextFile(path, kMaxFileBytes);
  if (!text.ok()) {
    UsageError(command, text.error());
    return std::nullopt;
  }
  auto configs = NodeConfigsFromJson(*text);
  if (!configs.ok()) {
    UsageError(command, path + ": " + configs.error() + "; " + nothing_done);
    return std::nullopt;
  }
  if (auto problems = Problems(*configs); !problems.empty()) {
    std::cerr << "zsupctl " << command.get_name() << ": " << path << " has " << problems.size()
              << (problems.size() == 1 ? " problem" : " problems") << "; " << nothing_done
              << ":\n";
    for (const std::string& p : problems) std::cerr << "  " << p << "\n";
    return std::nullopt;
  }
  return std::move(*configs);
}

int RunCreateFile(const CLI::App& command, const std::string& path, const GlobalOptions& g) {
  auto configs = ReadConfigFile(command, path, "nothing was created");
  if (!configs) return kExitUsage;
  if (configs->empty()) return UsageError(command, path + ": no node configs in it");
  auto client = Connect(g);
  if (!client.ok()) return ReportFailure(client.status());
  size_t refused = 0;
  for (size_t i = 0; i < configs->size(); ++i) {
    const NodeConfig& c = (*configs)[i];
    Status s = (*client)->Create(c);
    if (s.ok()) {
      std::cout << "created " << c.name << "\n";
    } else if (s.code() == Status::Code::kUnreachable) {
      std::cout << std::flush;
      std::cerr << "zsupctl: " << configs->size() - i << " of " << configs->size()
                << " nodes not created (from '" << c.name << "' on): the outcome of '" << c.name
                << "' is unknown\n";
      return ReportFailure(s);
    } else {
      ++refused;
      std::cout << c.name << ": " << s.message() << "\n";
    }
  }
  if (refused > 0) {
    std::cout << std::flush;
    std::cerr << "zsupctl: zsupd refused " << refused << " of " << configs->size() << " nodes\n";
    return kExitRefused;
  }
  return kExitOk;
}

}  // namespace zsup::ctl
