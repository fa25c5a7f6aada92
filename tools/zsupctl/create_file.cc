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

// Every problem of every entry, so one run shows them all: how it decodes
// and, for those that decode, how it validates.
std::vector<std::string> Problems(const std::vector<NodeConfigEntry>& entries) {
  std::vector<std::string> problems;
  std::set<std::string> seen;
  for (const NodeConfigEntry& e : entries) {
    for (const std::string& p : e.problems) problems.push_back(e.label + ": " + p);
    if (!e.config) continue;
    if (Status s = ValidateNodeConfig(*e.config); !s.ok()) {
      problems.push_back(e.label + ": " + s.message());
    }
    if (!seen.insert(e.config->name).second) {
      problems.push_back(e.label + ": the file names it twice");
    }
  }
  return problems;
}

// "F:LINE:COLUMN: why" (as compilers say it), "F: why" without a position.
std::string Located(const std::string& path, const JsonSyntaxError& e) {
  if (e.line == 0) return path + ": " + e.message;
  return path + ":" + std::to_string(e.line) + ":" + std::to_string(e.column) + ": " + e.message;
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
  NodeConfigsJson file = NodeConfigsFromJson(*text);
  if (file.syntax) {
    UsageError(command, Located(path, *file.syntax) + "; " + nothing_done);
    return std::nullopt;
  }
  if (auto problems = Problems(file.entries); !problems.empty()) {
    std::cerr << "zsupctl " << command.get_name() << ": " << path << " has " << problems.size()
              << (problems.size() == 1 ? " problem" : " problems") << "; " << nothing_done
              << ":\n";
    for (const std::string& p : problems) std::cerr << "  " << p << "\n";
    return std::nullopt;
  }
  std::vector<NodeConfig> configs;
  for (NodeConfigEntry& e : file.entries) configs.push_back(std::move(*e.config));
  return configs;
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
