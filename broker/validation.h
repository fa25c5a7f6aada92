// What makes a NodeConfig acceptable to `create`, with Zeek's exact error
// strings where Zeek has one (see PROTOCOL.md). Pure functions.
#pragma once

#include <string>
#include <string_view>

#include "broker/messages.h"
#include "broker/status.h"

namespace zsup {

inline constexpr size_t kMaxNodeNameBytes = 255;
// A node with `cluster_backend` gets a file "<name>.cluster-layout.zeek".
inline constexpr size_t kMaxLayoutNodeNameBytes = 200;

// Zeek's rules (not empty, no white space) plus zsup's: no '/', no control
// characters, at most 255 bytes, valid UTF-8 — a name becomes part of file
// paths, event topics and log lines.
Status ValidateNodeName(std::string_view name);

// Everything but the name: interface and pcap_file exclusive (Zeek's check),
// and what exec/env/paths need (no NUL bytes, env keys without '=', a
// non-empty program, cpu_affinity a CPU number); with `cluster_backend`,
// what its layout script needs (IP address hosts, one manager, no bare_mode).
Status ValidateNodeFields(const NodeConfig& config);

// Linux refuses to exec an argument or environment string longer than this
// (MAX_ARG_STRLEN, 32 pages, with its NUL).
inline constexpr size_t kMaxExecStringBytes = 128 * 1024 - 1;
// A config's command and env together, counted as exec counts them (each
// string with its NUL, plus a pointer): at most this much, so that they fit
// ARG_MAX (2 MiB with the default 8 MiB stack) beside zsupd's own
// environment and ZEEK_SUPERVISED_NODE.
inline constexpr size_t kMaxConfigExecBytes = 1 << 20;
// A whole NodeConfig, msgpack-encoded: what zsupd keeps in memory and in
// every status reply for the node.
inline constexpr size_t kMaxConfigBytes = 1 << 20;

// Whether the process the config describes can be exec'd: every string of
// its argv (command, or Zeek's options and scripts) and environment (`env`
// as KEY=VALUE) at most kMaxExecStringBytes, and all of them together at
// most `budget` bytes. The error names the node and the field.
Status ValidateExecSize(const NodeConfig& config, size_t budget = kMaxConfigExecBytes);

// An IPv4 or IPv6 address literal (inet_pton's forms), as Zeek's `addr`.
bool IsIpAddressLiteral(const std::string& text);

// ValidateNodeName, then ValidateNodeFields.
Status ValidateNodeConfig(const NodeConfig& config);

}  // namespace zsup
