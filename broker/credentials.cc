#include "broker/credentials.h"

#include <grp.h>
#include <pwd.h>
#include <linux/capability.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <tuple>
#include <utility>

namespace zsup {
namespace {

constexpr std::pair<std::string_view, int> kRlimits[] = {
    {"as", RLIMIT_AS},           {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},
    {"data", RLIMIT_DATA},       {"fsize", RLIMIT_FSIZE},       {"locks", RLIMIT_LOCKS},
    {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
    {"nofile", RLIMIT_NOFILE},   {"nproc", RLIMIT_NPROC},       {"rss", RLIMIT_RSS},
    {"rtprio", RLIMIT_RTPRIO},   {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
    {"stack", RLIMIT_STACK},
};

// The largest rotation file and backup count accepted (sanity, not policy).
constexpr int64_t kMaxRotateBytes = int64_t{1} << 50;
constexpr int64_t kMaxBackups = 1000;

std::optional<int64_t> ParseId(const std::string& text) {
  int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id < 0 || id >= 0xffffffffLL) {
    return std::nullopt;
  }
  return id;
}

// getpwnam_r / getpwuid_r with a buffer that grows on ERANGE.
Status LookUpUser(const std::string& user, passwd* out, std::string* buf, bool* found) {
  buf->resize(4096);
  const std::optional<int64_t> uid = ParseId(user);
  for (;;) {
    passwd* result = nullptr;
    const int err = uid ? ::getpwuid_r(static_cast<uid_t>(*uid), out, buf->data(), buf->size(), &result)
                        : ::getpwnam_r(user.c_str(), out, buf->data(), buf->size(), &result);
    if (err == ERANGE && buf->size() < (1u << 20)) {
      buf->resize(buf->size() * 2);
      continue;
    }
    if (err != 0 && err != ENOENT && err != ESRCH) {
      return Status::Errno("config.user: cannot look up '" + user + "'", err);
    }
    *found = result != nullptr;
    return Status::Ok();
  }
}

Result<gid_t> LookUpGroup(const std::string& group, const std::string& what = "config.group") {
  if (auto gid = ParseId(group)) return static_cast<gid_t>(*gid);
  std::string buf(4096, '\0');
  for (;;) {
    struct group g {};
    struct group* result = nullptr;
    const int err = ::getgrnam_r(group.c_str(), &g, buf.data(), buf.size(), &result);
    if (err == ERANGE && buf.size() < (1u << 20)) {
      buf.resize(buf.size() * 2);
      continue;
    }
    if (err != 0 && err != ENOENT) return Status::Errno(what + ": cannot look up '" + group + "'", err);
    if (result == nullptr) return Status::Error(what + ": no group named '" + group + "'");
    return result->gr_gid;
  }
}

}  // namespace

Result<gid_t> GroupId(const std::string& group) { return LookUpGroup(group, "group"); }

std::optional<int> CapabilityNumber(std::string_view name) {
  std::string lower;
  for (char ch : name) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
  if (!lower.starts_with("cap_")) lower = "cap_" + lower;
  cap_value_t value = 0;
  if (lower.size() > 64 || ::cap_from_name(lower.c_str(), &value) != 0) return std::nullopt;
  if (value < 0 || value > CAP_LAST_CAP) return std::nullopt;
  return value;
}

std::string CapabilityName(int cap) {
  char* text = ::cap_to_name(cap);
  std::string name = text != nullptr ? text : std::to_string(cap);
  ::cap_free(text);
  for (char& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return name;
}

std::optional<int> RlimitResource(std::string_view name) {
  for (const auto& [n, resource] : kRlimits) {
    if (n == name) return resource;
  }
  return std::nullopt;
}

std::string RlimitNames() {
  std::string out;
  for (const auto& [n, resource] : kRlimits) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

Status ValidateExecutionFields(const NodeConfig& c) {
  const std::string node = "node '" + c.name + "': config.";
  for (const auto& [key, value] : {std::pair{"user", &c.user}, std::pair{"group", &c.group}}) {
    if (*value && ((*value)->empty() || (*value)->size() > 255 ||
                   (*value)->find('\0') != std::string::npos)) {
      return Status::Error(node + key + ": must be a name or number of 1 to 255 bytes");
    }
  }
  if (c.group && !c.user) {
    return Status::Error(node + "group: needs `user` (the group a node of zsupd's own user "
                                "runs as is zsupd's)");
  }
  for (const std::string& cap : c.capabilities) {
    if (!CapabilityNumber(cap)) {
      return Status::Error(node + "capabilities: unknown capability '" + cap +
                           "' (a name such as CAP_NET_RAW; see capabilities(7))");
    }
  }
  if (c.umask && (*c.umask < 0 || *c.umask > 0777)) {
    return Status::Error(node + "umask: must be between 0 and 0777 (511), not " +
                         std::to_string(*c.umask));
  }
  if (c.nice && (*c.nice < -20 || *c.nice > 19)) {
    return Status::Error(node + "nice: must be between -20 and 19, not " + std::to_string(*c.nice));
  }
  for (const auto& [name, limit] : c.rlimits) {
    if (!RlimitResource(name)) {
      return Status::Error(node + "rlimits: unknown limit '" + name + "' (one of " + RlimitNames() +
                           ")");
    }
    if (limit.soft < -1 || limit.hard < -1) {
      return Status::Error(node + "rlimits." + name + ": must be -1 (unlimited) or 0 and more");
    }
    if (limit.hard != -1 && (limit.soft == -1 || limit.soft > limit.hard)) {
      return Status::Error(node + "rlimits." + name + ": the soft limit " +
                           std::to_string(limit.soft) + " is above the hard limit " +
                           std::to_string(limit.hard));
    }
  }
  for (const auto& [key, rotation, file] :
       {std::tuple{"stdout_rotate", &c.stdout_rotate, &c.stdout_file},
        std::tuple{"stderr_rotate", &c.stderr_rotate, &c.stderr_file}}) {
    if (!*rotation) continue;
    if ((*rotation)->max_bytes < 1 || (*rotation)->max_bytes > kMaxRotateBytes) {
      return Status::Error(node + key + ".max_bytes: must be between 1 and 2^50");
    }
    if ((*rotation)->backups < 0 || (*rotation)->backups > kMaxBackups) {
      return Status::Error(node + key + ".backups: must be between 0 and " +
                           std::to_string(kMaxBackups));
    }
    if (!*file) {
      return Status::Error(node + key + ": needs " + (key[3] == 'o' ? "stdout" : "stderr") +
                           "_file (only output to a file is rotated)");
    }
  }
  if (c.stdout_file && c.stdout_file == c.stderr_file && c.stdout_rotate && c.stderr_rotate &&
      c.stdout_rotate != c.stderr_rotate) {
    return Status::Error(node + "stderr_rotate: stdout_file and stderr_file are the same file, "
                                "which rotates once: give it one rotation (or the same in both)");
  }
  return Status::Ok();
}

Result<std::optional<Credentials>> ResolveCredentials(const NodeConfig& c) {
  if (!c.user) return std::optional<Credentials>();
  Credentials cred;
  passwd pw{};
  std::string buf;
  bool found = false;
  Status s = LookUpUser(*c.user, &pw, &buf, &found);
  if (!s.ok()) return s;
  const std::optional<int64_t> numeric = ParseId(*c.user);
  if (!found && !numeric) return Status::Error("config.user: no user named '" + *c.user + "'");
  if (found) {
    cred.uid = pw.pw_uid;
    cred.gid = pw.pw_gid;
    cred.name = pw.pw_name;
    cred.home = pw.pw_dir != nullptr ? pw.pw_dir : "";
  } else {
    cred.uid = static_cast<uid_t>(*numeric);
    if (!c.group) {
      return Status::Error("config.user: uid " + *c.user +
                           " has no entry in the user database; give `group` too");
    }
  }
  if (c.group) {
    auto gid = LookUpGroup(*c.group);
    if (!gid.ok()) return gid.status();
    cred.gid = *gid;
  }
  if (found) {
    // initgroups(3)'s list: the user's groups in the group database, plus gid.
    int n = 64;
    std::vector<gid_t> groups(static_cast<size_t>(n));
    while (::getgrouplist(cred.name.c_str(), cred.gid, groups.data(), &n) < 0) {
      if (static_cast<size_t>(n) > kMaxSupplementaryGroups) {
        return Status::Error("config.user: '" + cred.name + "' is in more than " +
                             std::to_string(kMaxSupplementaryGroups) + " groups");
      }
      groups.resize(static_cast<size_t>(n));
    }
    groups.resize(static_cast<size_t>(n));
    cred.groups = std::move(groups);
  } else {
    cred.groups = {cred.gid};
  }
  return std::optional<Credentials>(std::move(cred));
}

Status CheckCapabilitiesGrantable(const NodeConfig& c) {
  if (c.capabilities.empty()) return Status::Ok();
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &header, data) != 0) return Status::Errno("capget", errno);
  for (const std::string& name : c.capabilities) {
    const std::optional<int> cap = CapabilityNumber(name);
    if (!cap) continue;  // refused by ValidateExecutionFields
    const bool permitted = (data[*cap / 32].permitted & (1u << (*cap % 32))) != 0;
    if (!permitted || ::prctl(PR_CAPBSET_READ, *cap, 0, 0, 0) != 1) {
      return Status::Error("node '" + c.name + "': config.capabilities: zsupd (uid " +
                           std::to_string(::geteuid()) + ") does not hold " + CapabilityName(*cap) +
                           " itself, so it cannot give it to a node");
    }
  }
  return Status::Ok();
}

Status CheckMayRunAs(const NodeConfig& c, const Credentials& cred) {
  const uid_t me = ::geteuid();
  if (me == 0 || (cred.uid == me && cred.gid == ::getegid())) return Status::Ok();
  return Status::Error("node '" + c.name + "': config.user: zsupd runs as uid " +
                       std::to_string(me) + ", not root, and can run nodes only as itself");
}

}  // namespace zsup
