// What a run produced: one table row per figure (value, floor, ratio, the
// issue's target and whether it was met) and every number as JSON.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "broker/status.h"

namespace zsup::bench {

enum class Mark {
  kInfo,  // no target for this row
  kPass,
  kMiss,
  kNotApplicable,  // a target exists but this run's counts cannot judge it (--quick)
};

struct Row {
  std::string figure;           // "control: ping p50"
  std::string value;            // formatted, e.g. "48.1 µs"
  std::string floor;            // formatted, or "" when the figure has none
  std::optional<double> ratio;  // value / floor, or value - floor for "+" targets
  std::string ratio_text;       // "2.10×" or "+0.41 ms"
  std::string target;           // the target, or ""
  Mark mark = Mark::kInfo;
};

class Report {
 public:
  explicit Report(nlohmann::json header) : json_(std::move(header)) {}

  void Add(Row row) { rows_.push_back(std::move(row)); }
  // The numbers of one figure, written under "figures" in the JSON.
  nlohmann::json& Figure(const std::string& name) { return json_["figures"][name]; }
  void AddError(const std::string& figure, const std::string& message);

  void Print(std::ostream& out) const;
  Status WriteJson(const std::string& path) const;
  int misses() const;
  int errors() const { return static_cast<int>(errors_.size()); }

 private:
  nlohmann::json json_;
  std::vector<Row> rows_;
  std::vector<std::pair<std::string, std::string>> errors_;
};

// Facts about the machine for the report header.
nlohmann::json MachineInfo();

// "41.2 µs", "3.05 ms", "1.21 s"
std::string FormatSeconds(double seconds);
// "+1.20 ms" / "−0.30 ms"
std::string FormatDelta(double seconds);
// "2.10×"
std::string FormatRatio(double ratio);
// "1.23 M lines/s"
std::string FormatRate(double per_second, const std::string& unit);
// "12.3 MiB"
std::string FormatKib(int64_t kib);
std::string FormatNumber(double v, int decimals);

inline Mark Judge(bool met, bool applicable = true) {
  return !applicable ? Mark::kNotApplicable : met ? Mark::kPass : Mark::kMiss;
}

}  // namespace zsup::bench
