// zsupctl create NAME [node options] [-- CMD [ARGS...]], or create --file FILE.
#include "base/cli_errors.h"
#include "tools/zsupctl/create.h"

#include <iostream>
#include <memory>
#include <tuple>

#include "tools/zsupctl/client.h"
#include "tools/zsupctl/commands.h"
#include "tools/zsupctl/exec_options.h"

namespace zsup::ctl {
namespace {

struct CreateOptions {
  std::string file;
  std::string name;
  std::string directory, stdout_file, stderr_file, interface, pcap_file;
  std::string name_space, stop_signal, ready;
  double stop_timeout = 0, ready_timeout = 0;
  int64_t stage = 0;
  std::vector<std::string> env, base_scripts, user_scripts;
  std::vector<std::string> command;  // after "--" (main.cc)
  std::vector<std::string> stray;    // words before "--" that no option took
  int64_t cpu_affinity = 0;
  bool bare_mode = false;
  std::string user, group, umask, rotate;
  std::vector<std::string> capabilities, rlimits;
  int64_t nice = 0;
  bool tee = false;
  // The options that describe a node, given or not (they exclude --file).
  std::vector<CLI::Option*> node_options;
  CLI::App* app = nullptr;
};

// "K=V" with a non-empty K, as a CLI11 validator (a failure is a usage error).
std::string CheckEnv(const std::string& kv) {
  const size_t eq = kv.find('=');
  if (eq == std::string::npos) return "expected KEY=VALUE, got '" + kv + "'";
  if (eq == 0) return "empty variable name in '" + kv + "'";
  return "";
}

bool Given(const CLI::Option* option) { return option->count() > 0; }

// The options as a NodeConfig; an error is a usage error. Relative paths
// are made absolute here, against zsupctl's working directory: zsupd would
// resolve them against its state directory (PROTOCOL.md).
Result<NodeConfig> ToConfig(const CreateOptions& o) {
  auto given = [&o](const char* name) { return o.app->count(name) > 0; };
  NodeConfig c;
  c.name = o.name;
  if (given("--directory")) {
    auto dir = AbsolutePath(o.directory);
    if (!dir.ok()) return dir.status();
    c.directory = *dir;
  }
  for (auto [option, value, field] : {std::tuple{"--stdout-file", &o.stdout_file, &c.stdout_file},
                                      std::tuple{"--stderr-file", &o.stderr_file, &c.stderr_file}}) {
    if (!given(option)) continue;
    // Inside --directory when one is given (zsupd resolves it there).
    auto path = c.directory ? Result<std::string>(*value) : AbsolutePath(*value);
    if (!path.ok()) return path.status();
    *field = *path;
  }
  if (given("--user")) c.user = o.user;
  if (given("--group")) c.group = o.group;
  c.capabilities = o.capabilities;
  if (given("--umask")) {
    auto mask = ParseUmask(o.umask);
    if (!mask.ok()) return mask.status();
    c.umask = *mask;
  }
  if (given("--nice")) c.nice = o.nice;
  for (const std::string& text : o.rlimits) {
    auto limit = ParseRlimit(text);
    if (!limit.ok()) return limit.status();
    c.rlimits[limit->first] = limit->second;  // the last one for a name wins
  }
  if (given("--rotate")) {
    auto rotation = ParseRotate(o.rotate);
    if (!rotation.ok()) return rotation.status();
    if (!c.stdout_file && !c.stderr_file) {
      return Status::Error("--rotate needs --stdout-file or --stderr-file (only files rotate)");
    }
    if (c.stdout_file) c.stdout_rotate = *rotation;
    if (c.stderr_file) c.stderr_rotate = *rotation;
  }
  if (o.tee) {
    if (!c.stdout_file && !c.stderr_file) {
      return Status::Error("--tee needs --stdout-file or --stderr-file");
    }
    c.tee = true;
  }
  for (const std::string& kv : o.env) {
    const size_t eq = kv.find('=');
    c.env[kv.substr(0, eq)] = kv.substr(eq + 1);  // the last --env for a key wins
  }
  if (given("--cpu-affinity")) c.cpu_affinity = o.cpu_affinity;
  if (given("--interface")) c.interface = o.interface;
  if (given("--pcap-file")) c.pcap_file = o.pcap_file;
  if (o.bare_mode) c.bare_mode = true;
  if (given("--namespace")) c.name_space = o.name_space;
  if (given("--stop-signal")) c.stop_signal = o.stop_signal;
  if (given("--stop-timeout")) c.stop_timeout = o.stop_timeout;
  if (given("--ready")) c.ready = o.ready;
  if (given("--ready-timeout")) c.ready_timeout = o.ready_timeout;
  if (given("--stage")) c.stage = o.stage;
  c.addl_base_scripts = o.base_scripts;
  c.addl_user_scripts = o.user_scripts;
  c.command = o.command;
  return c;
}

int Run(const CreateOptions& o, const GlobalOptions& g) {
  if (!o.stray.empty()) {
    std::string words;
    for (const std::string& w : o.stray) words += (words.empty() ? "'" : " '") + w + "'";
    return UsageError(*o.app, std::string(o.stray.size() == 1 ? "unexpected argument "
                                                               : "unexpected arguments ") +
                                  words +
                                  ": the program goes after '--' (create NAME [OPTIONS] -- CMD "
                                  "[ARGS...]), and an option takes one value each time "
                                  "(--env A=1 --env B=2)");
  }
  if (!o.file.empty()) {
    if (!o.name.empty() || !o.command.empty()) {
      return UsageError(*o.app, "--file takes no NAME or command; the file describes the nodes");
    }
    for (const CLI::Option* opt : o.node_options) {
      if (Given(opt)) {
        return UsageError(*o.app, opt->get_name() + " cannot be combined with --file");
      }
    }
    return RunCreateFile(*o.app, o.file, g);
  }
  if (o.name.empty()) return UsageError(*o.app, "a NAME (or --file FILE) is required");
  auto config = ToConfig(o);
  if (!config.ok()) return UsageError(*o.app, config.error());
  auto client = Connect(g);
  if (!client.ok()) return ReportFailure(client.status());
  Status s = (*client)->Create(*config);
  if (!s.ok()) return ReportFailure(s);
  std::cout << "created " << o.name << "\n";
  return kExitOk;
}

}  // namespace

Command AddCreate(CLI::App& app) {
  auto o = std::make_shared<CreateOptions>();
  CLI::App* sub =
      app.add_subcommand("create", "Create nodes (from options or a JSON file) and start them");
  o->app = sub;
  sub->footer(
      "Without CMD the node runs zsupd's Zeek binary with Zeek's options for the config. zsupd "
      "replies once the node is durably stored.\n"
      "Examples:\n"
      "  zsupctl create web --directory /srv/web --env PORT=8080 -- /usr/bin/python3 -m "
      "http.server\n"
      "  zsupctl create worker-1 --interface eth0 --user-script local.zeek\n"
      "  zsupctl create worker-2 --interface eth1 --directory /var/spool/zeek/worker-2 --user zeek "
      "--cap CAP_NET_RAW --cap CAP_NET_ADMIN --rlimit nofile=65536 --stderr-file stderr.log "
      "--rotate 100M:5\n"
      "  zsupctl create --file cluster.json\n"
      "FILE is one NodeConfig or an array of them, in Zeek's JSON form (the form of "
      "ZEEK_SUPERVISED_NODE). Every entry is checked first; a problem in any creates nothing "
      "(exit 2). Then each node is created and reported on its own line; exit 1 if zsupd refused "
      "any (e.g. the name exists).");
  sub->add_option("NAME", o->name, "the node's name (unique; no white space or '/')");
  sub->add_option("CMD", o->stray,
                  "program and arguments after --, exec'd without a shell");
  sub->add_option("--file", o->file, "create the nodes described in a JSON file ('-': stdin)");
  auto& opts = o->node_options;
  opts.push_back(sub->add_option("--directory", o->directory,
                                 "working directory, created if missing (owned by --user); "
                                 "relative to the current directory"));
  opts.push_back(sub->add_option("--stdout-file", o->stdout_file,
                                 "append standard output to this file (relative to --directory, "
                                 "else to the current directory) instead of publishing it"));
  opts.push_back(sub->add_option("--stderr-file", o->stderr_file, "the same for standard error"));
  opts.push_back(sub->add_option("--rotate", o->rotate,
                                 "rotate the output files at SIZE bytes (k, M, G), keeping BACKUPS "
                                 "of them (default 10): SIZE[:BACKUPS]"));
  opts.push_back(sub->add_flag("--tee", o->tee,
                               "publish file-bound output too (events, tail)"));
  opts.push_back(sub->add_option("--user", o->user,
                                 "run as this user (name or uid; zsupd must run as root), with "
                                 "its groups"));
  opts.push_back(sub->add_option("--group", o->group, "primary group instead of the user's"));
  opts.push_back(sub->add_option("--cap", o->capabilities,
                                 "keep this capability as an ambient one, e.g. CAP_NET_RAW "
                                 "(repeatable)")
                     ->allow_extra_args(false));
  opts.push_back(sub->add_option("--umask", o->umask, "file creation mask, octal (e.g. 027)"));
  opts.push_back(sub->add_option("--nice", o->nice, "scheduling priority, -20 to 19")
                     ->check(CLI::Range(-20, 19).description("-20 to 19")));
  opts.push_back(sub->add_option("--rlimit", o->rlimits,
                                 "resource limit NAME=N or NAME=SOFT:HARD, e.g. nofile=65536 or "
                                 "core=unlimited (repeatable)")
                     ->allow_extra_args(false));
  opts.push_back(sub->add_option("--env", o->env, "environment variable KEY=VALUE (repeatable)")
                     ->allow_extra_args(false)
                     ->check(CLI::Validator(CheckEnv, "KEY=VALUE", "env")));
  opts.push_back(sub->add_option("--cpu-affinity", o->cpu_affinity, "pin the node to this CPU")
                     ->check(cli::NonNegative()));
  opts.push_back(sub->add_option("--namespace", o->name_space,
                                 "a label for selecting nodes (e.g. `zsupctl stop --namespace NS`)"));
  opts.push_back(sub->add_option("--stop-signal", o->stop_signal,
                                 "signal sent first on a stop, without SIG (default TERM)"));
  opts.push_back(sub->add_option("--stop-timeout", o->stop_timeout,
                                 "seconds from the stop signal to SIGKILL (default zsupd's "
                                 "--stop-timeout)")
                     ->check(cli::NonNegative()));
  opts.push_back(sub->add_option("--ready", o->ready,
                                 "when the node counts as ready: exec (default), notify (sd_notify "
                                 "READY=1), tcp:PORT or tcp:HOST:PORT"));
  opts.push_back(sub->add_option("--ready-timeout", o->ready_timeout,
                                 "seconds to become ready (default 60), else a failed start")
                     ->check(cli::Positive()));
  opts.push_back(sub->add_option("--stage", o->stage,
                                 "start order: waits for every lower stage to be ready (default 0)")
                     ->check(cli::NonNegative()));
  CLI::Option* interface =
      sub->add_option("--interface", o->interface, "Zeek: sniff this interface");
  CLI::Option* pcap = sub->add_option("--pcap-file", o->pcap_file, "Zeek: read this pcap file");
  interface->excludes(pcap);
  opts.push_back(interface);
  opts.push_back(pcap);
  opts.push_back(sub->add_flag("--bare-mode", o->bare_mode, "Zeek: run in bare mode (-b)"));
  opts.push_back(
      sub->add_option("--base-script", o->base_scripts, "Zeek: additional base script (repeatable)")
          ->allow_extra_args(false));
  opts.push_back(
      sub->add_option("--user-script", o->user_scripts, "Zeek: additional user script (repeatable)")
          ->allow_extra_args(false));
  return {sub, [o](const GlobalOptions& g) { return Run(*o, g); },
          [o](std::vector<std::string> after) {
            o->command = std::move(after);
          }};
}

}  // namespace zsup::ctl
