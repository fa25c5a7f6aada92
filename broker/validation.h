// What makes a NodeConfig acceptable to `create`, with Zeek's exact error
// strings where Zeek has one (see PROTOCOL.md). Pure functions.
#pragma once

#include <string_view>

#include "broker/messages.h"
#include "broker/status.h"

namespace zsup {

inline constexpr size_t kMaxNodeNameBytes = 255;

// Zeek's rules (not empty, no white space) plus zsup's: no '/', no control
// characters, at most 255 bytes, valid UTF-8 — a name becomes part of file
// paths, event topics and log lines.
Status ValidateNodeName(std::string_view name);

// Everything but the name: interface and pcap_file exclusive (Zeek's check),
// and what exec/env/paths need (no NUL bytes, env keys without '=', a
// non-empty program, cpu_affinity a CPU number).
Status ValidateNodeFields(const NodeConfig& config);

// ValidateNodeName, then ValidateNodeFields.
Status ValidateNodeConfig(const NodeConfig& config);

}  // namespace zsup
