// The Zeek JSON form of NodeConfig: what a node finds in
// ZEEK_SUPERVISED_NODE, and what `zsupctl create --file` reads.
//
// Written form (Zeek's record-to-JSON): compact, one line, fields in Zeek's
// declaration order, unset optional fields left out, ports as
// {"port":N,"proto":"tcp"}, roles as "Supervisor::WORKER". Reading accepts
// that form (and roles without the "Supervisor::" prefix) with the same strict
// rules and error messages as the msgpack decoder. Never throws.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "broker/messages.h"
#include "broker/status.h"

namespace zsup {

std::string NodeConfigToJson(const NodeConfig& config);

// One JSON object.
Result<NodeConfig> NodeConfigFromJson(std::string_view text);

// One JSON object, or an array of them (a whole cluster in one file).
Result<std::vector<NodeConfig>> NodeConfigsFromJson(std::string_view text);

}  // namespace zsup
