// What `status --json` and `events --json` print: machine-friendly objects
// with stable keys (absent values are null, never missing), times as float
// Unix seconds as on the wire, and each node's config in Zeek's JSON form
// (broker/json.h).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "broker/codec.h"
#include "broker/messages.h"

namespace zsup::ctl {

// {"code", "signal", "signal_name", "at", "commanded"}
nlohmann::ordered_json ExitJson(const ExitInfo& exit);

// {"name", "state", "pid", "started_at", "uptime_seconds", "restarts",
//  "last_exit": ExitJson or null, "last_error", "desired", "next_start_at", "ready",
//  "failed_reason", "status_text", "config"}
nlohmann::ordered_json NodeStatusJson(const std::string& name, const NodeStatus& status,
                                      double now);

// node_status: {"event": "node_status", "node", "pid", "restarts", "at"}
// node_exit:   {"event": "node_exit", "node", "pid", "code", "signal", "signal_name",
//               "commanded", "at"}
// output:      {"event": "stdout"/"stderr", "node", "msg", "seq", "at"}
nlohmann::ordered_json EventJson(const Event& event);

// One line, invalid UTF-8 replaced rather than thrown about.
std::string DumpJson(const nlohmann::ordered_json& j, int indent = -1);

}  // namespace zsup::ctl
