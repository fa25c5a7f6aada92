// How `zsupctl tail` shows a line and what it says about streams it cannot
// show in full. Pure functions of their arguments, like format.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "broker/messages.h"

namespace zsup::ctl {

// UTC, to the millisecond (truncated, as `date` does): "2026-12-02T19:37:01.818Z".
std::string FormatTimestampMillis(double unix_seconds);

// One output line of one node's stream, from a tail reply or a live event.
struct TailLine {
  std::string_view node;
  std::string_view host = {};  // with --hosts: the host's section name
  Stream stream = Stream::kStdout;
  std::string_view msg;
  int64_t seq = 0;
  double at = 0;
};

struct TailFormat {
  bool json = false;         // {"host" (if any), "node", "stream", "seq", "at", "msg"}: all the
                             // rest is ignored
  bool timestamps = false;   // "<FormatTimestampMillis(at)> " first
  bool node_prefix = false;  // "<node>: " ("<host>/<node>: " with a host) before the text
};

// The line as printed, without its newline. JSON replaces invalid UTF-8
// (a node may print anything) rather than failing.
std::string FormatTailLine(const TailLine& line, const TailFormat& format);

// Where a node's `file` (its stdout_file or stderr_file) is, the way zsupd
// resolves it (broker/paths.h NodeFilePath). Without zsupd's state
// directory, a path that depends on it is shown as configured, followed by
// " (relative to zsupd's state directory)".
std::string DescribeNodeFile(const std::optional<std::string>& state_dir, const NodeConfig& config,
                             const std::string& file);

// The file a stream goes to without being published (no `tee`), if any.
std::optional<std::string> UnpublishedFile(const NodeConfig& config, Stream stream);

// "zsupctl: NODE's stdout goes to PATH and is not published (create it with
// --tee to follow it here)"
std::string UnpublishedNote(const std::string& node, Stream stream, const std::string& where);

// "zsupctl: only K lines of NODE's STREAM are kept (asked for N)"
std::string FewerLinesNote(const std::string& node, Stream stream, int64_t kept, int64_t asked);

}  // namespace zsup::ctl
