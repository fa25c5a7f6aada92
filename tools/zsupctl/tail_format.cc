#include "tools/zsupctl/tail_format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "broker/paths.h"
#include "tools/zsupctl/format.h"
#include "tools/zsupctl/json_output.h"

namespace zsup::ctl {

std::string FormatTimestampMillis(double unix_seconds) {
  if (!std::isfinite(unix_seconds)) return "?";
  const double whole = std::floor(unix_seconds);
  // Truncated, so a line never shows a later millisecond (or second) than it was written in.
  const int millis = std::clamp(static_cast<int>((unix_seconds - whole) * 1000), 0, 999);
  std::string s = FormatTimestamp(whole);  // "...:SSZ"
  if (s.size() < 2 || s.back() != 'Z') return s;
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03d", millis);
  s.insert(s.size() - 1, frac);
  return s;
}

std::string FormatTailLine(const TailLine& line, const TailFormat& format) {
  if (format.json) {
    nlohmann::ordered_json j;
    if (!line.host.empty()) j["host"] = std::string(line.host);
    j["node"] = std::string(line.node);
    j["stream"] = std::string(StreamName(line.stream));
    j["seq"] = line.seq;
    j["at"] = line.at;
    j["msg"] = std::string(line.msg);
    return DumpJson(j);
  }
  std::string s;
  if (format.timestamps) s += FormatTimestampMillis(line.at) + " ";
  if (format.node_prefix && !line.host.empty()) s.append(line.host).append("/");
  if (format.node_prefix) s.append(line.node).append(": ");
  s.append(line.msg);
  return s;
}

std::string DescribeNodeFile(const std::optional<std::string>& state_dir, const NodeConfig& config,
                             const std::string& file) {
  if (state_dir) return NodeFilePath(*state_dir, config.directory, file);
  // Only what does not depend on the state directory can be made absolute.
  std::string path = file;
  if (!file.starts_with('/') && config.directory) path = *config.directory + "/" + file;
  if (path.starts_with('/')) return path;
  return path + " (relative to zsupd's state directory)";
}

std::optional<std::string> UnpublishedFile(const NodeConfig& config, Stream stream) {
  if (config.tee.value_or(false)) return std::nullopt;
  return stream == Stream::kStdout ? config.stdout_file : config.stderr_file;
}

std::string UnpublishedNote(const std::string& node, Stream stream, const std::string& where) {
  return "zsupctl: " + node + "'s " + std::string(StreamName(stream)) + " goes to " + where +
         " and is not published (create it with --tee to follow it here)";
}

std::string FewerLinesNote(const std::string& node, Stream stream, int64_t kept, int64_t asked) {
  return "zsupctl: only " + std::to_string(kept) + " lines of " + node + "'s " +
         std::string(StreamName(stream)) + " are kept (asked for " + std::to_string(asked) + ")";
}

}  // namespace zsup::ctl
