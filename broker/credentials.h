// What a node runs as and with (PROTOCOL.md v2 `user`, `group`,
// `capabilities`, `umask`, `nice`, `rlimits`): the names resolved to the
// numbers the kernel takes, before any fork (the child may only make
// async-signal-safe calls, and the user database is not one of them).
//
// Two kinds of check: ValidateExecutionFields() is pure (ranges, known
// capability and limit names) and part of ValidateNodeFields();
// ResolveCredentials() reads the user and group databases (NSS), so zsupd
// calls it at create/apply and the stem again before every spawn (a user
// may have been removed since). Errors name the NodeConfig key.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/messages.h"
#include "broker/status.h"

namespace zsup {

// setgroups(2) takes at most NGROUPS_MAX (65536); a user in more groups
// than this is refused rather than silently cut.
inline constexpr size_t kMaxSupplementaryGroups = 4096;

struct Credentials {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups (initgroups' list, with gid)
  // From the user database; empty for a numeric uid that has no entry.
  std::string name;
  std::string home;
};

// `user` (name or numeric uid) and `group` (name or gid; default: the
// user's primary group). A numeric uid without an entry needs `group`.
// nullopt when the config has neither.
Result<std::optional<Credentials>> ResolveCredentials(const NodeConfig& config);

// A group name or numeric gid as a gid (the group database for a name).
Result<gid_t> GroupId(const std::string& group);

// The capability number of "CAP_NET_RAW" (or "cap_net_raw", "net_raw").
std::optional<int> CapabilityNumber(std::string_view name);

// "CAP_NET_RAW" for its number (the number itself when unknown).
std::string CapabilityName(int cap);

// RLIMIT_NOFILE for "nofile", ...; nullopt for a name Linux has no limit for.
std::optional<int> RlimitResource(std::string_view name);
// "nofile, core, ..." for error messages.
std::string RlimitNames();

// Ranges and names of the execution fields (no database lookups).
Status ValidateExecutionFields(const NodeConfig& config);

// Whether this process holds every capability in `capabilities` (in its
// permitted and bounding sets), so that a node can be given them. An error
// naming `capabilities` otherwise (say, a zsupd that is not root).
Status CheckCapabilitiesGrantable(const NodeConfig& config);

// Whether this process may run nodes with these credentials: as root, or
// as itself. An error naming `user` otherwise.
Status CheckMayRunAs(const NodeConfig& config, const Credentials& credentials);

}  // namespace zsup
