// `zsupctl create --file FILE`: one JSON NodeConfig in Zeek's form, or an
// array of them (a cluster). Every entry is parsed and validated before
// anything is sent: a problem in any entry creates nothing (exit 2). Then
// each node is created in file order, one report line per node ("created w1"
// or "w2: <zsupd's refusal>"); exit 1 if zsupd refused any. A node is never
// half-created: each create is one atomic request.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "broker/messages.h"
#include "tools/zsupctl/cli.h"

namespace zsup::ctl {

// `path` "-" reads standard input.
int RunCreateFile(const CLI::App& command, const std::string& path, const GlobalOptions& g);

// The configs of such a file, every entry parsed and validated; nullopt
// when something is wrong, which is then reported as a usage error ending in
// `nothing_done` ("nothing was created").
std::optional<std::vector<NodeConfig>> ReadConfigFile(const CLI::App& command,
                                                      const std::string& path,
                                                      const std::string& nothing_done);

}  // namespace zsup::ctl
