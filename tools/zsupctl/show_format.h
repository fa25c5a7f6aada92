// What `zsupctl show` prints for one node: everything zsupd knows about it
// (its state, its config, its recent exits and stderr lines) as a block for
// a person, or as one JSON object. Pure functions of their arguments.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "broker/messages.h"

namespace zsup::ctl {

struct NodeDetail {
  std::string host;  // "" with one zsupd
  std::string name;
  NodeStatus status;  // from a `detail` status: `exits` is set (unless zsupd is older)
  std::vector<OutputLine> stderr_lines;  // the most recent, oldest first
  // Why stderr_lines is empty when it is not for want of output: the
  // stream goes to a file, or zsupd refused the tail.
  std::optional<std::string> stderr_note;
};

// The words of a command line as a POSIX shell reads them back: words of
// only safe characters as they are, others in single quotes.
std::string ShellJoin(const std::vector<std::string>& words);

// The block, every line ending in "\n": a header line with the name (and
// " on HOST" when `host` is set), then "  key: value" lines; keys whose
// value is unset are left out except the few every node has.
std::string FormatNodeDetail(const NodeDetail& detail, double now);

// status --json's object for the node (json_output.h) plus "host" first
// when set, "exits" (newest first, as last_exit's objects) and "stderr"
// (the lines as tail --json prints them: seq, at, msg).
nlohmann::ordered_json NodeDetailJson(const NodeDetail& detail, double now);

}  // namespace zsup::ctl
