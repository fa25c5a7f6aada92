// The Zeek JSON form of NodeConfig: what a node finds in
// ZEEK_SUPERVISED_NODE, and what `zsupctl create --file` reads.
//
// Written form (Zeek's record-to-JSON): compact, one line, fields in Zeek's
// declaration order, unset optional fields left out, ports as
// {"port":N,"proto":"tcp"}, roles as "Supervisor::WORKER". Reading accepts
// that form (and roles without the "Supervisor::" prefix) with the same strict
// rules and error messages as the msgpack decoder. Never throws.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/messages.h"
#include "broker/status.h"

namespace zsup {

std::string NodeConfigToJson(const NodeConfig& config);

// One JSON object.
Result<NodeConfig> NodeConfigFromJson(std::string_view text);

// Where a text stops being JSON.
struct JsonSyntaxError {
  size_t line = 0;      // 1-based, of the byte the parser stopped at; 0: no position
  size_t column = 0;    // 1-based, in bytes
  std::string message;  // "syntax error while parsing value - invalid literal; ..."
};

// One entry of a list of node configs.
struct NodeConfigEntry {
  std::string label;                  // "[2] 'w3'", or "[2]" when its name cannot be read
  std::optional<NodeConfig> config;   // set when it decoded
  std::vector<std::string> problems;  // else every problem, each naming its field ("env: ...")
};

struct NodeConfigsJson {
  std::optional<JsonSyntaxError> syntax;  // set: not JSON (or nested too deep), no entries
  std::vector<NodeConfigEntry> entries;   // in order; one for a single object
};

// One JSON object, or an array of them (a whole cluster in one file), read
// past every problem so that all of them can be reported at once.
NodeConfigsJson NodeConfigsFromJson(std::string_view text);

}  // namespace zsup
