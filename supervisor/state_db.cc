// zsupd and its database: loading the desired state, noticing a state.db
// deleted, replaced or truncated while zsupd runs (and rewriting it from
// memory), and taking nodes back from the stem when state.db was lost while
// no zsupd ran. See docs/state.md.
#include <algorithm>
#include <cstdio>
#include <ctime>

#include "broker/log.h"
#include "supervisor/daemon.h"

namespace zsup {
namespace {

std::string DbPath(const std::string& dir) { return dir + "/state.db"; }

ExitInfo WithCommanded(const StoredExit& stored) {
  ExitInfo exit = stored.exit;
  exit.commanded = stored.commanded;
  return exit;
}

}  // namespace

Status Daemon::OpenDesiredState() {
  auto store = Store::Open(DbPath(options_.state_dir), options_.durability);
  if (!store.ok()) return store.status();
  store_ = std::move(*store);
  store_was_fresh_ = store_->fresh();
  auto nodes = store_->LoadAll();
  if (!nodes.ok()) return nodes.status();
  for (StoredNode& stored : *nodes) {
    NodeView& view = table_.Add(std::move(stored.config));
    view.restarts = stored.restarts;
    view.desired_up = stored.desired_up;
    if (stored.hold) {
      view.hold = stored.hold == "failed" ? NodeState::kFailed : NodeState::kExited;
      view.failed_reason = stored.failed_reason;
    }
    if (stored.last_exit) {
      // The newest few of the stored history, so that `detail` survives a restart.
      auto history = store_->Exits(view.config.name());
      if (!history.ok()) return history.status();
      for (size_t i = std::min(history->size(), kExitHistory); i-- > 0;) {
        view.RecordExit(WithCommanded((*history)[i]));
      }
      view.RecordExit(WithCommanded(*stored.last_exit));
      view.ever_started = true;
    }
    if (stored.restarts > 0) view.ever_started = true;
  }
  return Status::Ok();
}

Status Daemon::CheckedStore() {
  if (store_) {
    Status s = store_->Verify();
    if (s.ok()) return s;
    LogError(s.message() + " while zsupd ran: writing the desired state of " +
             std::to_string(table_.size()) + " node(s) from memory into a new database");
    store_.reset();  // SQLite closes what it has open; the files are not ours any more
  }
  // Whatever is at the path now is not what zsupd wrote: keep it aside.
  const std::string path = DbPath(options_.state_dir);
  const std::string aside = path + ".broken-" + std::to_string(std::time(nullptr));
  for (const char* suffix : {"", "-wal", "-shm"}) {
    if (std::rename((path + suffix).c_str(), (aside + suffix).c_str()) == 0 && *suffix == '\0') {
      LogError("kept what was at " + path + " as " + aside);
    }
  }
  auto store = Store::Open(path, options_.durability);
  if (!store.ok()) return store.status().Prefixed("cannot write the desired state");
  std::vector<StoredNode> nodes;
  for (const auto& [name, view] : table_.nodes()) {
    StoredNode n{view.config.Get(), view.restarts, std::nullopt, view.desired_up};
    if (view.hold) n.hold = std::string(StateName(*view.hold));
    n.failed_reason = view.failed_reason;
    if (view.last_exit) n.last_exit = StoredExit{*view.last_exit, view.last_exit->commanded};
    nodes.push_back(std::move(n));
  }
  Status s = (*store)->Import(nodes);
  if (!s.ok()) return s.Prefixed("cannot write the desired state");
  store_ = std::move(*store);
  LogError("wrote " + std::to_string(nodes.size()) + " node(s) into a new " + path);
  return Status::Ok();
}

void Daemon::TakeBackLostNodes(const stem::Welcome& welcome) {
  if (!store_was_fresh_) return;
  store_was_fresh_ = false;  // only the first stem after start can hold them
  if (table_.size() > 0 || welcome.nodes.empty()) return;
  LogError("state.db is new or empty, but zsup-stem (pid " + std::to_string(welcome.stem_pid) +
           ") runs " + std::to_string(welcome.nodes.size()) +
           " node(s): the database was lost while no zsupd ran; taking their configs back from "
           "the stem instead of stopping them");
  std::vector<StoredNode> nodes;
  for (const stem::NodeReport& r : welcome.nodes) {
    if (!r.config || stem::Fingerprint(*r.config) != r.fingerprint) {
      LogError("node '" + r.name + "': this stem does not report its config; it is stopped");
      continue;
    }
    NodeView& view = table_.Add(*r.config);
    view.restarts = r.restarts;
    view.ever_started = true;
    nodes.push_back(StoredNode{*r.config, r.restarts, std::nullopt});
  }
  Status s = CheckedStore();
  if (s.ok()) s = store_->Import(nodes);
  if (!s.ok()) {
    LogError(s.message() + ": the nodes taken back run, but a restart of zsupd would lose them");
    return;
  }
  LogError("took back " + std::to_string(nodes.size()) + " node(s) into state.db");
}

}  // namespace zsup
