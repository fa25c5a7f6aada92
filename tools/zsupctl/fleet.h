// The zsupd a zsupctl command talks to: one (found as endpoints.h says), or
// with --hosts one per host of the hosts file (hosts.h), plus this
// machine's own zsupd when no section is this machine and its socket
// exists. A Fleet of one behaves exactly as zsupctl without --hosts.
//
// Per-host calls run in parallel (one thread per host, each with its own
// Client, so a host that does not answer costs --timeout once, not once
// per host); their results are values, in hosts() order. A host that fails
// is reported by the caller and does not stop the others: commands print
// what the others said and exit 3 (kExitUnreachable) or 1 at the end.
#pragma once

#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "broker/messages.h"
#include "broker/status.h"
#include "tools/zsupctl/cli.h"
#include "tools/zsupctl/client.h"
#include "tools/zsupctl/hosts.h"

namespace zsup::ctl {

struct FleetHost {
  std::string name;  // the section's name; "" without --hosts
  std::unique_ptr<Client> client;
  bool local = false;  // this machine's zsupd
};

class Fleet {
 public:
  // With --hosts: every section (or those --host names), and this
  // machine's zsupd if no section is this machine and its ipc socket is
  // there. Without: the one zsupd of `options`.
  static Result<Fleet> Open(const GlobalOptions& options);

  // Adds this machine's zsupd (as without --hosts) unless a section is
  // this machine already; returns it. For nodes that node.cfg puts here.
  Result<FleetHost*> Local(const GlobalOptions& options);

  bool multi() const { return multi_; }
  std::vector<FleetHost>& hosts() { return hosts_; }
  FleetHost* Find(const std::string& name);

  // fn(host) on every host at once; the results in hosts() order.
  template <typename Fn>
  auto Each(Fn fn) -> std::vector<decltype(fn(std::declval<FleetHost&>()))> {
    using R = decltype(fn(std::declval<FleetHost&>()));
    std::vector<R> out;
    if (hosts_.size() == 1) {  // no thread for the common case
      out.push_back(fn(hosts_.front()));
      return out;
    }
    std::vector<std::future<R>> pending;
    for (FleetHost& h : hosts_) pending.push_back(std::async(std::launch::async, fn, std::ref(h)));
    for (auto& p : pending) out.push_back(p.get());
    return out;
  }

 private:
  std::vector<FleetHost> hosts_;
  bool multi_ = false;
};

// "host NAME: " for a host of a multi-host fleet, "" otherwise.
std::string HostPrefix(const FleetHost& host);

// Reports `status` (not OK) of one host as ReportFailure does, with the
// host named, and returns its exit code.
int ReportHostFailure(const FleetHost& host, const Status& status);

// The worse of two exit codes: unreachable (3) beats refused (1) beats ok.
int WorseExit(int a, int b);

}  // namespace zsup::ctl
