#include "stem/launch.h"

#include <sys/stat.h>
#include <unistd.h>

#include <string_view>
#include <utility>

#include "broker/json.h"
#include "broker/paths.h"
#include "broker/zeek_layout.h"

extern char** environ;

namespace zsup {
namespace {

constexpr std::string_view kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

std::string_view KeyOf(std::string_view entry) { return entry.substr(0, entry.find('=')); }

// Sets `key` in `env`, replacing an earlier value.
void SetEnv(std::vector<std::string>& env, std::string_view key, std::string_view value) {
  std::string entry = std::string(key) + "=" + std::string(value);
  for (std::string& e : env) {
    if (KeyOf(e) == key) {
      e = std::move(entry);
      return;
    }
  }
  env.push_back(std::move(entry));
}

void UnsetEnv(std::vector<std::string>& env, std::string_view key) {
  std::erase_if(env, [&](const std::string& e) { return KeyOf(e) == key; });
}

// The layout script comes before the node's own scripts, which may redef
// what it sets.
std::vector<std::string> ZeekArgv(const NodeConfig& c, const std::string& zeek,
                                  const std::optional<std::string>& layout) {
  std::vector<std::string> argv = {zeek};
  if (c.bare_mode.value_or(false)) argv.push_back("-b");
  if (c.interface) argv.insert(argv.end(), {"-i", *c.interface});
  if (c.pcap_file) argv.insert(argv.end(), {"-r", *c.pcap_file});
  if (layout) argv.push_back(*layout);
  argv.insert(argv.end(), c.addl_base_scripts.begin(), c.addl_base_scripts.end());
  argv.insert(argv.end(), c.scripts.begin(), c.scripts.end());
  argv.insert(argv.end(), c.addl_user_scripts.begin(), c.addl_user_scripts.end());
  return argv;
}

rlim_t Limit(int64_t value) { return value < 0 ? RLIM_INFINITY : static_cast<rlim_t>(value); }

// The execution fields, resolved; a failure leaves `setup_error`.
void PlanExecution(const NodeConfig& c, LaunchPlan* plan) {
  auto credentials = ResolveCredentials(c);
  if (!credentials.ok()) {
    plan->setup_error = "node '" + c.name + "': " + credentials.error();
    return;
  }
  plan->credentials = std::move(*credentials);
  if (const std::optional<Credentials>& cred = plan->credentials; cred && !cred->name.empty()) {
    // As login(1) and systemd's User= do; the node's own env may override them.
    for (const auto& [key, value] : {std::pair<std::string_view, const std::string&>{"HOME", cred->home},
                                     {"USER", cred->name}, {"LOGNAME", cred->name}}) {
      if (!c.env.contains(std::string(key))) SetEnv(plan->env, key, value);
    }
  }
  // A zsupd that is not root may only run nodes as itself (CheckMayRunAs):
  // nothing to change, and setgroups(2) would need a privilege it lacks.
  if (const std::optional<Credentials>& cred = plan->credentials;
      cred && ::geteuid() != 0 && cred->uid == ::geteuid() && cred->gid == ::getegid()) {
    plan->credentials.reset();
  }
  for (const std::string& name : c.capabilities) {
    if (auto cap = CapabilityNumber(name)) plan->capabilities.push_back(*cap);
  }
  if (c.umask) plan->umask = static_cast<mode_t>(*c.umask);
  if (c.nice) plan->nice = static_cast<int>(*c.nice);
  for (const auto& [name, limit] : c.rlimits) {
    if (auto resource = RlimitResource(name)) {
      plan->rlimits.push_back({*resource, name, Limit(limit.soft), Limit(limit.hard)});
    }
  }
}

}  // namespace

std::string SearchPath(const std::string& name, const std::string& path_var) {
  if (name.empty() || name.find('/') != std::string::npos) return name;
  std::string_view rest = path_var;
  while (true) {
    const size_t colon = rest.find(':');
    std::string dir(rest.substr(0, colon));
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return name;
}

std::vector<std::string> CurrentEnvironment() {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) env.emplace_back(*e);
  return env;
}

LaunchPlan PlanLaunch(const NodeConfig& c, const LaunchContext& context) {
  LaunchPlan plan;
  if (c.command.empty() && !c.cluster.empty() && c.cluster_backend) {
    plan.layout_path = context.node_json_dir + "/" + c.name + ".cluster-layout.zeek";
    if (auto script = NodeLayoutScript(c); script.ok()) {
      plan.layout_script = std::move(*script);
    } else {
      plan.layout_error = script.error();
    }
    // Zeek's cluster framework (loaded with the base scripts, before any
    // argument) loads `cluster-layout` from ZEEKPATH, whose default starts
    // with ".": the same layout in the working directory is what it finds.
    if (c.directory && plan.layout_error == std::nullopt) {
      plan.zeekpath_layout_path = *c.directory + "/cluster-layout.zeek";
      auto layout = ClusterLayoutScript(c.cluster);
      if (layout.ok()) plan.zeekpath_layout_script = std::move(*layout);
    }
  }
  plan.argv = c.command.empty() ? ZeekArgv(c, context.zeek_path, plan.layout_path) : c.command;

  plan.env = context.base_env;
  // zsupd might itself run under a supervisor (zsup, or systemd with
  // Type=notify): what is addressed to zsupd must not reach its nodes.
  for (const char* key : {"ZEEK_SUPERVISED_NODE", "ZEEK_SUPERVISED_NODE_FILE", "NOTIFY_SOCKET",
                          "WATCHDOG_PID", "WATCHDOG_USEC", "LISTEN_PID", "LISTEN_FDS",
                          "LISTEN_FDNAMES"}) {
    UnsetEnv(plan.env, key);
  }
  for (const auto& [key, value] : c.env) SetEnv(plan.env, key, value);
  plan.node_json = NodeConfigToJson(c);
  if (plan.node_json.size() > kMaxNodeJsonInEnv) {
    plan.node_json_path = context.node_json_dir + "/" + c.name + ".json";
    SetEnv(plan.env, "ZEEK_SUPERVISED_NODE_FILE", *plan.node_json_path);
  } else {
    SetEnv(plan.env, "ZEEK_SUPERVISED_NODE", plan.node_json);
    plan.node_json.clear();
  }
  if (!c.cluster.empty()) SetEnv(plan.env, "CLUSTER_NODE", c.name);
  // After the node's env: the node cannot point readiness elsewhere.
  if (c.ready == "notify" && !context.notify_socket.empty()) {
    SetEnv(plan.env, "NOTIFY_SOCKET", context.notify_socket);
  }

  std::string path_var(kDefaultPath);
  for (const std::string& e : plan.env) {
    if (KeyOf(e) == "PATH") path_var = e.substr(5);
  }
  plan.program = SearchPath(plan.argv[0], path_var);

  plan.directory = NodeDirectory(context.state_dir, c.directory);
  if (c.stdout_file) plan.stdout_path = NodeFilePath(context.state_dir, c.directory, *c.stdout_file);
  if (c.stderr_file) plan.stderr_path = NodeFilePath(context.state_dir, c.directory, *c.stderr_file);
  if (c.cpu_affinity) plan.cpu = static_cast<int>(*c.cpu_affinity);
  PlanExecution(c, &plan);
  return plan;
}

}  // namespace zsup
