// The desired state of zsupd, durable in SQLite (DIR/state.db).
//
// Contract:
// - One Store per database file per process; zsupd's state-dir lock makes it
//   one per machine. Not thread-safe: call from one thread (zsupd's loop).
// - Every mutating call is one transaction, committed before it returns OK.
//   With Durability::kFull (the default) a committed PutNode/DeleteNode
//   survives any crash, power loss included (WAL + synchronous=FULL).
//   RecordExit is bookkeeping and commits with synchronous=NORMAL whatever
//   the durability (a crash may lose the latest exits, never a node).
// - The schema is versioned with PRAGMA user_version; Open() migrates older
//   databases forward and refuses newer ones with a clear message.
// - Errors come back as Status with SQLite's message and the operation, e.g.
//   "store: put node 'w1': database is locked". Nothing throws.
// - Every write re-checks that the file is still there (Verify()).
// - Stored configs are the canonical msgpack encoding (broker/codec.h); a row
//   that no longer decodes is reported by LoadAll, not skipped.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/messages.h"
#include "broker/status.h"

namespace zsup {

enum class Durability { kFull, kNormal };

// Exits kept per node; older ones are deleted as new ones are recorded.
inline constexpr int kExitHistoryPerNode = 100;

struct StoredExit {
  ExitInfo exit;
  bool commanded = false;
};

struct StoredNode {
  NodeConfig config;
  int64_t restarts = 0;                 // as last recorded by RecordExit/RecordRestarts
  std::optional<StoredExit> last_exit;  // the most recent recorded exit
  bool desired_up = true;               // false once `stop`ped, until `start`
  // "failed" or "exited": given up on (not revived, not replayed) until a
  // start; with the reason a node failed.
  std::optional<std::string> hold = {};
  std::optional<std::string> failed_reason = {};
};

class Store {
 public:
  // Opens (creating if needed, mode 0600) the database at `path`.
  static Result<std::unique_ptr<Store>> Open(const std::string& path, Durability durability);
  virtual ~Store() = default;

  // Inserts a node. Refused with "node with name '<name>' already exists"
  // when the name is taken.
  virtual Status PutNode(const NodeConfig& config) = 0;
  // Deletes nodes and their exit history, all in one transaction (one
  // fsync for `destroy --all`). An unknown name refuses the whole call:
  // "no node named '<name>'", and nothing is deleted.
  virtual Status DeleteNodes(const std::vector<std::string>& names) = 0;
  Status DeleteNode(std::string_view name) { return DeleteNodes({std::string(name)}); }
  // Sets whether nodes are desired up or down, in one transaction, durable
  // like PutNode; up also clears a hold. An unknown name refuses the whole
  // call.
  virtual Status SetDesired(const std::vector<std::string>& names, bool up) = 0;
  // `apply`: inserts `created`, replaces the config of `updated` (clearing
  // a hold; the desired up/down stays), deletes `destroyed`, all in one
  // transaction (one fsync for a thousand nodes), durable like PutNode.
  // Refused as a whole if a created name is taken or another is unknown.
  virtual Status Apply(const std::vector<NodeConfig>& created, const std::vector<NodeConfig>& updated,
                       const std::vector<std::string>& destroyed) = 0;
  // Holds a node ("failed" or "exited", with the reason it failed), durable
  // like PutNode. Unknown names are ignored (destroyed meanwhile).
  virtual Status SetHold(std::string_view name, const std::string& hold,
                         const std::optional<std::string>& failed_reason) = 0;
  // Every node, sorted by name.
  virtual Result<std::vector<StoredNode>> LoadAll() = 0;
  // Appends an exit to the node's history (trimmed to kExitHistoryPerNode)
  // and sets its restart count. Unknown names are ignored (the node may have
  // been destroyed while its exit was in flight).
  virtual Status RecordExit(std::string_view name, const StoredExit& exit, int64_t restarts) = 0;
  // Sets the node's restart count when a (re)started process reports in, so
  // a replay after a crash of everything continues from the latest start,
  // not from the latest exit. Bookkeeping like RecordExit (synchronous=
  // NORMAL); unknown names are ignored.
  virtual Status RecordRestarts(std::string_view name, int64_t restarts) = 0;
  // A node's recorded exits, newest first.
  virtual Result<std::vector<StoredExit>> Exits(std::string_view name) = 0;
  // Inserts nodes with their restart counts and last exits, in one
  // transaction: rebuilding a database from a copy in memory. Refused as a
  // whole when a name is taken.
  virtual Status Import(const std::vector<StoredNode>& nodes) = 0;

  // OK while the database file (and its -wal) are still the ones this Store
  // opened and wrote (store/file_watch.h); else what happened to them. A
  // write through a Store whose file was deleted would be lost at the next
  // open: check before writing, and rebuild if this fails.
  virtual Status Verify() const = 0;
  // Whether Open() found no database, or an empty (0-byte) file.
  virtual bool fresh() const = 0;
};

}  // namespace zsup
