// What to exec for a node, worked out before fork so the child only has to
// carry it out (between fork and exec only async-signal-safe calls).
// Pure apart from the PATH lookup (access(2) on candidate files) and the
// user database (the `user` and `group` names).
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "broker/credentials.h"
#include "broker/messages.h"
#include "broker/status.h"

namespace zsup {

// Above this the JSON goes to a file named by ZEEK_SUPERVISED_NODE_FILE
// (Linux caps one environment string at 128 KiB).
inline constexpr size_t kMaxNodeJsonInEnv = 100000;

struct LaunchContext {
  std::string zeek_path = "zeek";     // run when the config has no `command`
  std::vector<std::string> base_env;  // "K=V", the stem's (that is zsupd's) environment
  std::string node_json_dir;          // where oversized ZEEK_SUPERVISED_NODE files and
                                      // layout scripts go
  std::string notify_socket;          // NOTIFY_SOCKET of a node with `ready: "notify"`
  std::string state_dir;              // relative `directory` and files resolve against it
};

// A resource limit to set in the child, in setrlimit(2)'s terms.
struct LaunchLimit {
  int resource = 0;
  std::string name;  // "nofile", for errors
  rlim_t soft = 0;
  rlim_t hard = 0;
};

struct LaunchPlan {
  std::string program;            // what execve() gets: PATH already searched
  std::vector<std::string> argv;  // argv[0] as configured
  std::vector<std::string> env;   // "K=V"
  std::optional<std::string> directory;  // absolute (NodeDirectory)
  std::optional<std::string> stdout_path;  // absolute (NodeFilePath)
  std::optional<std::string> stderr_path;
  std::optional<int> cpu;
  // v2 execution fields, resolved (PROTOCOL.md: user, group, capabilities,
  // umask, nice, rlimits). `setup_error`: why they could not be (e.g. the
  // user was removed since the create); the start fails with it.
  std::optional<Credentials> credentials;
  std::vector<int> capabilities;
  std::optional<mode_t> umask;
  std::optional<int> nice;
  std::vector<LaunchLimit> rlimits;
  std::optional<std::string> setup_error;
  // Set when the JSON is too big for the environment: write `node_json` to
  // this path (0600) before spawning.
  std::optional<std::string> node_json_path;
  std::string node_json;
  // A Zeek-mode node (no `command`) with a `cluster` table and a
  // `cluster_backend`: write `layout_script` to this path (0644) before
  // spawning; it is an argument of the node. `layout_error`: why no script
  // could be made (the start fails). With a `directory`, also the layout
  // alone as `cluster-layout.zeek` there, which Zeek's cluster framework
  // loads from ZEEKPATH (".") before any argument (docs/protocol.md).
  std::optional<std::string> layout_path;
  std::string layout_script;
  std::optional<std::string> layout_error;
  std::optional<std::string> zeekpath_layout_path;
  std::string zeekpath_layout_script;
};

LaunchPlan PlanLaunch(const NodeConfig& config, const LaunchContext& context);

// execvp's lookup, done in the parent: `name` itself if it contains '/',
// else the first executable regular file named `name` in `path_var`'s
// directories; `name` unchanged when none is found (exec then fails ENOENT).
std::string SearchPath(const std::string& name, const std::string& path_var);

// The environment of this process as "K=V" strings.
std::vector<std::string> CurrentEnvironment();

}  // namespace zsup
