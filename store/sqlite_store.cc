// Store on SQLite: one connection, statements prepared once, WAL journal.
//
// File descriptors: SQLite's unix VFS opens the database, its -wal and its
// -shm with O_CLOEXEC (robust_open() in os_unix.c), so nodes zsupd spawns
// inherit none of them; store_test checks this through /proc/self/fdinfo.
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <utility>

#include "broker/codec.h"
#include "store/file_watch.h"
#include "store/schema.h"
#include "store/sqlite_util.h"
#include "store/store.h"

namespace zsup {
namespace {

// Long enough to ride out a checkpoint or a `sqlite3` shell peeking at the
// file, short enough not to stall zsupd's loop noticeably.
constexpr int kBusyTimeoutMs = 1000;

std::string Quoted(std::string_view name) { return "'" + std::string(name) + "'"; }

const char* SynchronousPragma(Durability durability) {
  return durability == Durability::kFull ? "PRAGMA synchronous = FULL"
                                         : "PRAGMA synchronous = NORMAL";
}

double Now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// SQLite creates files with mode 0644 (less the umask); a state database
// holds node environments, so create it 0600 ourselves first. SQLite gives
// the -wal and -shm files the database file's mode. An existing file keeps
// its mode: it is the operator's.
Status CreateFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Errno("store: open " + path, errno);
  close(fd);
  return Status::Ok();
}

class SqliteStore final : public Store {
 public:
  SqliteStore(sql::DbPtr db, Durability durability, const std::string& path, bool fresh)
      : db_(std::move(db)), durability_(durability), watch_(path), fresh_(fresh) {}

  Status Prepare();

  Status PutNode(const NodeConfig& config) override;
  Status DeleteNodes(const std::vector<std::string>& names) override;
  Status SetDesired(const std::vector<std::string>& names, bool up) override;
  Status Apply(const std::vector<NodeConfig>& created, const std::vector<NodeConfig>& updated,
               const std::vector<std::string>& destroyed) override;
  Status SetHold(std::string_view name, const std::string& hold,
                 const std::optional<std::string>& failed_reason) override;
  Result<std::vector<StoredNode>> LoadAll() override;
  Status RecordExit(std::string_view name, const StoredExit& exit, int64_t restarts) override;
  Status RecordRestarts(std::string_view name, int64_t restarts) override;
  Result<std::vector<StoredExit>> Exits(std::string_view name) override;
  Status Import(const std::vector<StoredNode>& nodes) override;
  Status Verify() const override { return watch_.Check(); }
  bool fresh() const override { return fresh_; }

 private:
  // After a successful write: the files as they are now are the good ones.
  Status Written(Status s) {
    if (s.ok()) watch_.Remember();
    return s;
  }
  Status RecordExitTransaction(std::string_view name, const StoredExit& exit, int64_t restarts);
  sql::Statement Use(const sql::StmtPtr& stmt) { return {db_.get(), stmt.get()}; }

  // Declared first, destroyed last (close_v2 would wait for the statements
  // anyway).
  sql::DbPtr db_;
  Durability durability_;
  sql::TxnStatements txn_;
  sql::StmtPtr insert_node_;
  sql::StmtPtr delete_node_;
  sql::StmtPtr set_desired_;
  sql::StmtPtr set_hold_;
  sql::StmtPtr update_config_;
  sql::StmtPtr load_all_;
  sql::StmtPtr update_restarts_;
  sql::StmtPtr insert_exit_;
  sql::StmtPtr trim_exits_;
  sql::StmtPtr exits_;
  FileWatch watch_;
  bool fresh_;
};

Status SqliteStore::Prepare() {
  auto txn = sql::PrepareTxnStatements(db_.get());
  if (!txn.ok()) return txn.status();
  txn_ = std::move(*txn);
  struct {
    sql::StmtPtr* stmt;
    const char* sql;
  } const statements[] = {
      {&insert_node_,
       "INSERT INTO nodes (name, config, restarts, created_at) VALUES (?1, ?2, 0, ?3)"},
      {&delete_node_, "DELETE FROM nodes WHERE name = ?1"},
      {&set_desired_,
       "UPDATE nodes SET desired = ?2, hold = CASE WHEN ?2 = 1 THEN NULL ELSE hold END, "
       "failed_reason = CASE WHEN ?2 = 1 THEN NULL ELSE failed_reason END WHERE name = ?1"},
      {&set_hold_, "UPDATE nodes SET hold = ?2, failed_reason = ?3 WHERE name = ?1"},
      {&update_config_,
       "UPDATE nodes SET config = ?2, hold = NULL, failed_reason = NULL WHERE name = ?1"},
      // The newest exit per node; (node, id) is indexed, so this is a probe per node.
      {&load_all_,
       "SELECT n.name, n.config, n.restarts, e.at, e.code, e.signal, e.commanded, n.desired, "
       "       n.hold, n.failed_reason "
       "FROM nodes AS n LEFT JOIN exits AS e ON e.id = "
       "  (SELECT id FROM exits WHERE node = n.name ORDER BY id DESC LIMIT 1) "
       "ORDER BY n.name"},
      {&update_restarts_, "UPDATE nodes SET restarts = ?2 WHERE name = ?1"},
      {&insert_exit_,
       "INSERT INTO exits (node, at, code, signal, commanded) VALUES (?1, ?2, ?3, ?4, ?5)"},
      // Deletes every row at or below the one just past the ?2 newest.
      {&trim_exits_,
       "DELETE FROM exits WHERE node = ?1 AND id <= "
       "  (SELECT id FROM exits WHERE node = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)"},
      {&exits_, "SELECT at, code, signal, commanded FROM exits WHERE node = ?1 ORDER BY id DESC"},
  };
  for (const auto& s : statements) {
    auto stmt = sql::Prepare(db_.get(), s.sql, std::string("prepare: ") + s.sql);
    if (!stmt.ok()) return stmt.status();
    *s.stmt = std::move(*stmt);
  }
  watch_.Remember();
  return Status::Ok();
}

Status SqliteStore::PutNode(const NodeConfig& config) {
  const std::string what = "put node " + Quoted(config.name);
  sql::Transaction txn(db_.get(), txn_);
  Status s = txn.Begin(what);
  if (!s.ok()) return s;
  // The primary key decides "already exists" atomically with the insert.
  s = Use(insert_node_)
          .BindText(1, config.name)
          .BindBlob(2, EncodeNodeConfig(config))
          .BindDouble(3, Now())
          .Run(what);
  if (!s.ok()) {
    if (sqlite3_extended_errcode(db_.get()) == SQLITE_CONSTRAINT_PRIMARYKEY) {
      return Status::Refused("node with name " + Quoted(config.name) + " already exists");
    }
    return s;
  }
  return Written(txn.Commit(what));
}

Status SqliteStore::DeleteNodes(const std::vector<std::string>& names) {
  const std::string what =
      names.size() == 1 ? "delete node " + Quoted(names[0])
                        : "delete " + std::to_string(names.size()) + " nodes";
  sql::Transaction txn(db_.get(), txn_);  // rolled back unless committed
  Status s = txn.Begin(what);
  if (!s.ok()) return s;
  for (const std::string& name : names) {
    // Its exits go with it: ON DELETE CASCADE, foreign_keys is on.
    s = Use(delete_node_).BindText(1, name).Run(what);
    if (!s.ok()) return s;
    if (sqlite3_changes64(db_.get()) == 0) return Status::Refused("no node named " + Quoted(name));
  }
  return Written(txn.Commit(what));
}

Status SqliteStore::SetDesired(const std::vector<std::string>& names, bool up) {
  const std::string what = std::string(up ? "start " : "stop ") +
                           (names.size() == 1 ? "node " + Quoted(names[0])
                                              : std::to_string(names.size()) + " nodes");
  sql::Transaction txn(db_.get(), txn_);
  Status s = txn.Begin(what);
  if (!s.ok()) return s;
  for (const std::string& name : names) {
    s = Use(set_desired_).BindText(1, name).BindInt(2, up ? 1 : 0).Run(what);
    if (!s.ok()) return s;
    if (sqlite3_changes64(db_.get()) == 0) return Status::Refused("no node named " + Quoted(name));
  }
  return Written(txn.Commit(what));
}

Status SqliteStore::Apply(const std::vector<NodeConfig>& created,
                          const std::vector<NodeConfig>& updated,
                          const std::vector<std::string>& destroyed) {
  const std::string what = "apply (" + std::to_string(created.size()) + " created, " +
                           std::to_string(updated.size()) + " updated, " +
                           std::to_string(destroyed.size()) + " destroyed)";
  sql::Transaction txn(db_.get(), txn_);
  Status s = txn.Begin(what);
  if (!s.ok()) return s;
  for (const NodeConfig& c : created) {
    s = Use(insert_node_)
            .BindText(1, c.name)
            .BindBlob(2, EncodeNodeConfig(c))
            .BindDouble(3, Now())
            .Run(what);
    if (!s.ok()) {
      if (sqlite3_extended_errcode(db_.get()) == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return Status::Refused("node with name " + Quoted(c.name) + " already exists");
      }
      return s;
    }
  }
  for (const NodeConfig& c : updated) {
    s = Use(update_config_).BindText(1, c.name).BindBlob(2, EncodeNodeConfig(c)).Run(what);
    if (!s.ok()) return s;
    if (sqlite3_changes64(db_.get()) == 0) {
      return Status::Refused("no node named " + Quoted(c.name));
    }
  }
  for (const std::string& name : destroyed) {
    s = Use(delete_node_).BindText(1, name).Run(what);
    if (!s.ok()) return s;
    if (sqlite3_changes64(db_.get()) == 0) return Status::Refused("no node named " + Quoted(name));
  }
  return Written(txn.Commit(what));
}

Status SqliteStore::SetHold(std::string_view name, const std::string& hold,
                            const std::optional<std::string>& failed_reason) {
  const std::string what = "hold node " + Quoted(name);
  return Written(
      Use(set_hold_).BindText(1, name).BindText(2, hold).BindOptText(3, failed_reason).Run(what));
}

Status SqliteStore::Import(const std::vector<StoredNode>& nodes) {
  const std::string what = "import " + std::to_string(nodes.size()) + " nodes";
  sql::Transaction txn(db_.get(), txn_);
  Status s = txn.Begin(what);
  for (const StoredNode& n : nodes) {
    if (!s.ok()) return s;
    s = Use(insert_node_)
            .BindText(1, n.config.name)
            .BindBlob(2, EncodeNodeConfig(n.config))
            .BindDouble(3, Now())
            .Run(what);
    if (s.ok()) s = Use(update_restarts_).BindText(1, n.config.name).BindInt(2, n.restarts).Run(what);
    if (s.ok() && !n.desired_up) s = Use(set_desired_).BindText(1, n.config.name).BindInt(2, 0).Run(what);
    if (s.ok() && n.hold) {
      s = Use(set_hold_)
              .BindText(1, n.config.name)
              .BindText(2, *n.hold)
              .BindOptText(3, n.failed_reason)
              .Run(what);
    }
    if (s.ok() && n.last_exit) {
      s = Use(insert_exit_)
              .BindText(1, n.config.name)
              .BindDouble(2, n.last_exit->exit.at)
              .BindOptInt(3, n.last_exit->exit.code)
              .BindOptInt(4, n.last_exit->exit.signal)
              .BindInt(5, n.last_exit->commanded ? 1 : 0)
              .Run(what);
    }
  }
  if (!s.ok()) return s;
  return Written(txn.Commit(what));
}

Result<std::vector<StoredNode>> SqliteStore::LoadAll() {
  const std::string what = "load nodes";
  std::vector<StoredNode> nodes;
  sql::Statement q = Use(load_all_);
  for (;;) {
    auto row = q.Step(what);
    if (!row.ok()) return row.status();
    if (!*row) break;
    const std::string name = q.Text(0);
    auto config = DecodeNodeConfig(q.Blob(1));
    if (!config.ok()) return config.status().Prefixed("store: load node " + Quoted(name));
    if (config->name != name) {
      return Status::Error("store: load node " + Quoted(name) + ": its stored config is named " +
                           Quoted(config->name));
    }
    StoredNode node;
    node.config = std::move(*config);
    node.restarts = q.Int(2);
    if (!q.IsNull(6)) {
      node.last_exit = StoredExit{{q.OptInt(4), q.OptInt(5), q.Double(3)}, q.Int(6) != 0};
    }
    node.desired_up = q.Int(7) != 0;
    if (!q.IsNull(8)) node.hold = q.Text(8);
    if (!q.IsNull(9)) node.failed_reason = q.Text(9);
    nodes.push_back(std::move(node));
  }
  return nodes;
}

Status SqliteStore::RecordExit(std::string_view name, const StoredExit& exit, int64_t restarts) {
  // Exits are bookkeeping: skip the per-commit fsync of synchronous=FULL.
  // SQLite refuses to change this inside a transaction, hence around it; and
  // it acts when the PRAGMA is prepared, hence Exec rather than a cached one.
  const std::string what = "record exit of " + Quoted(name);
  Status s = sql::Exec(db_.get(), SynchronousPragma(Durability::kNormal), what);
  if (s.ok()) s = RecordExitTransaction(name, exit, restarts);
  // Restore even after a failure: PutNode/DeleteNode rely on it.
  Status restored = sql::Exec(db_.get(), SynchronousPragma(durability_), what);
  return Written(s.ok() ? restored : s);
}

Status SqliteStore::RecordRestarts(std::string_view name, int64_t restarts) {
  const std::string what = "record restarts of " + Quoted(name);
  Status s = sql::Exec(db_.get(), SynchronousPragma(Durability::kNormal), what);
  if (s.ok()) s = Use(update_restarts_).BindText(1, name).BindInt(2, restarts).Run(what);
  Status restored = sql::Exec(db_.get(), SynchronousPragma(durability_), what);
  return Written(s.ok() ? restored : s);
}

Status SqliteStore::RecordExitTransaction(std::string_view name, const StoredExit& exit,
                                          int64_t restarts) {
  const std::string what = "record exit of " + Quoted(name);
  sql::Transaction txn(db_.get(), txn_);
  Status s = txn.Begin(what);
  if (!s.ok()) return s;
  s = Use(update_restarts_).BindText(1, name).BindInt(2, restarts).Run(what);
  if (!s.ok()) return s;
  // Unknown node: destroyed while its exit was in flight. Nothing to keep.
  if (sqlite3_changes64(db_.get()) == 0) return Status::Ok();
  s = Use(insert_exit_)
          .BindText(1, name)
          .BindDouble(2, exit.exit.at)
          .BindOptInt(3, exit.exit.code)
          .BindOptInt(4, exit.exit.signal)
          .BindInt(5, exit.commanded ? 1 : 0)
          .Run(what);
  if (!s.ok()) return s;
  s = Use(trim_exits_).BindText(1, name).BindInt(2, kExitHistoryPerNode).Run(what);
  if (!s.ok()) return s;
  return txn.Commit(what);
}

Result<std::vector<StoredExit>> SqliteStore::Exits(std::string_view name) {
  const std::string what = "list exits of " + Quoted(name);
  std::vector<StoredExit> exits;
  sql::Statement q = Use(exits_);
  q.BindText(1, name);
  for (;;) {
    auto row = q.Step(what);
    if (!row.ok()) return row.status();
    if (!*row) break;
    exits.push_back(StoredExit{{q.OptInt(1), q.OptInt(2), q.Double(0)}, q.Int(3) != 0});
  }
  return exits;
}

// Connection-wide settings; all but journal_mode live only in this connection.
Status Configure(sqlite3* db, const std::string& path, Durability durability) {
  // Before anything writes: a newer zsupd's database is left untouched.
  Status s = store_schema::CheckVersion(db, path);
  if (!s.ok()) return s;
  auto mode = sql::QueryText(db, "PRAGMA journal_mode = WAL", "set WAL mode on " + path);
  if (!mode.ok()) return mode.status();
  if (*mode != "wal") {
    return Status::Error("store: set WAL mode on " + path + ": journal mode is still '" + *mode +
                         "'");
  }
  s = sql::Exec(db, SynchronousPragma(durability), "set synchronous on " + path);
  if (s.ok()) s = sql::Exec(db, "PRAGMA foreign_keys = ON", "enable foreign keys on " + path);
  if (!s.ok()) return s;
  // A build without foreign keys accepts the PRAGMA and ignores it; deletes
  // would then orphan exits.
  auto fk = sql::QueryInt(db, "PRAGMA foreign_keys", "check foreign keys on " + path);
  if (!fk.ok()) return fk.status();
  if (*fk != 1) return Status::Error("store: " + path + ": SQLite lacks foreign key support");
  return store_schema::Migrate(db, path);
}

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(const std::string& path, Durability durability) {
  struct stat st {};
  const bool fresh = ::stat(path.c_str(), &st) != 0 || st.st_size == 0;
  Status s = CreateFile(path);
  if (!s.ok()) return s;
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &raw,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
      nullptr);
  sql::DbPtr db(raw);  // owned even when the open failed
  if (rc != SQLITE_OK) {
    return Status::Error("store: open " + path + ": " +
                         (db ? sqlite3_errmsg(db.get()) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
  s = Configure(db.get(), path, durability);
  if (!s.ok()) return s;
  auto store = std::make_unique<SqliteStore>(std::move(db), durability, path, fresh);
  s = store->Prepare();
  if (!s.ok()) return s;
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace zsup
