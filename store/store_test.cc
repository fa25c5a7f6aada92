// Store against real database files in a fresh temp dir per test, with a
// second raw SQLite connection to look under the hood and to damage things.
#include "store/store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "broker/test_util.h"
#include "store/schema.h"

namespace zsup {
namespace {

NodeConfig Config(const std::string& name) {
  NodeConfig c = testing::FullConfig();
  c.name = name;
  return c;
}

StoredExit Exit(double at, std::optional<int64_t> code, std::optional<int64_t> signal,
                bool commanded = false) {
  return StoredExit{ExitInfo{code, signal, at}, commanded};
}

// StoredExit has no operator== (store.h is not ours to widen for tests).
std::pair<ExitInfo, bool> Key(const StoredExit& e) { return {e.exit, e.commanded}; }
std::vector<std::pair<ExitInfo, bool>> Keys(const std::vector<StoredExit>& exits) {
  std::vector<std::pair<ExitInfo, bool>> keys;
  keys.reserve(exits.size());
  for (const StoredExit& e : exits) keys.push_back(Key(e));
  return keys;
}

// A plain SQLite connection, independent of the Store under test.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    EXPECT_EQ(
        sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
        SQLITE_OK);
    sqlite3_busy_timeout(db_, 1000);
  }
  ~RawDb() { sqlite3_close_v2(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  void Exec(const std::string& sql) {
    EXPECT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sql << ": " << sqlite3_errmsg(db_);
  }
  std::string Text(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    std::string out = "<error>";
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      out = text == nullptr ? "<null>" : reinterpret_cast<const char*>(text);
    } else {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
    }
    sqlite3_finalize(stmt);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = getenv("TMPDIR");
    std::string tmpl =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/zsup-store-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr) << tmpl;
    dir_ = tmpl;
    path_ = dir_ + "/state.db";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::unique_ptr<Store> OpenStore(Durability durability = Durability::kFull) {
    auto store = Store::Open(path_, durability);
    EXPECT_TRUE(store.ok()) << store.error();
    return store.ok() ? std::move(*store) : nullptr;
  }

  std::vector<std::string> Names(Store& store) {
    auto nodes = store.LoadAll();
    EXPECT_TRUE(nodes.ok()) << nodes.error();
    std::vector<std::string> names;
    if (nodes.ok()) {
      for (const StoredNode& n : *nodes) names.push_back(n.config.name);
    }
    return names;
  }

  std::string dir_;
  std::string path_;
};

TEST_F(StoreTest, PutThenLoadRoundTripsAFullConfig) {
  auto store = OpenStore();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->PutNode(Config("w1")).ok());
  auto nodes = store->LoadAll();
  ASSERT_TRUE(nodes.ok()) << nodes.error();
  ASSERT_EQ(nodes->size(), 1u);
  EXPECT_EQ((*nodes)[0].config, Config("w1"));
  EXPECT_EQ((*nodes)[0].restarts, 0);
  EXPECT_FALSE((*nodes)[0].last_exit.has_value());
}

TEST_F(StoreTest, DuplicatePutIsRefusedAndKeepsTheFirst) {
  auto store = OpenStore();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->PutNode(Config("w1")).ok());
  NodeConfig other = Config("w1");
  other.interface = "eth9";
  Status s = store->PutNode(other);
  EXPECT_EQ(s.code(), Status::Code::kRefused);
  EXPECT_EQ(s.message(), "node with name 'w1' already exists");
  auto nodes = store->LoadAll();
  ASSERT_TRUE(nodes.ok()) << nodes.error();
  ASSERT_EQ(nodes->size(), 1u);
  EXPECT_EQ((*nodes)[0].config.interface, "eth0");
  // The failed transaction was rolled back: the store still writes.
  EXPECT_TRUE(store->PutNode(Config("w2")).ok());
}

TEST_F(StoreTest, DeleteRemovesTheNodeAndItsExits) {
  auto store = OpenStore();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->PutNode(Config("w1")).ok());
  ASSERT_TRUE(store->PutNode(Config("w2")).ok());
  ASSERT_TRUE(store->RecordExit("w1", Exit(1, 0, std::nullopt), 1).ok());
  ASSERT_TRUE(store->RecordExit("w2", Exit(2, 1, std::nullopt), 1).ok());
  ASSERT_TRUE(store->DeleteNode("w1").ok());
  EXPECT_EQ(Names(*store), std::vector<std::string>{"w2"});
  RawDb raw(path_);
  EXPECT_EQ(raw.Text("SELECT count(*) FROM exits WHERE node = 'w1'"), "0");
  EXPECT_EQ(raw.Text("SELECT count(*) FROM exits WHERE node = 'w2'"), "1");
  // A new node of the same name starts with no history.
  ASSERT_TRUE(store->PutNode(Config("w1")).ok());
  auto exits = store->Exits("w1");
  ASSERT_TRUE(exits.ok()) << exits.error();
  EXPECT_TRUE(exits->empty());
}

TEST_F(StoreTest, DeletingSeveralNodesIsAllOrNothing) {
  auto store = OpenStore();
  ASSERT_TRUE(store);
  for (const char* name : {"a", "b", "c"}) ASSERT_TRUE(store->PutNode(Config(name)).ok());
  Status s = store->DeleteNodes({"a", "nope", "b"});
  EXPECT_EQ(s.code(), Status::Code::kRefused);
  EXPECT_EQ(s.message(), "no node named 'nope'");
  EXPECT_EQ(Names(*store), (std::vector<std::string>{"a", "b", "c"}));  // rolled back
  ASSERT_TRUE(store->DeleteNodes({"a", "c"}).ok());
  EXPECT_EQ(Names(*store), std::vector<std::string>{"b"});
  ASSERT_TRUE(store->DeleteNodes({}).ok());
}

TEST_F(StoreTest, DeleteOfAnUnknownNameIsRefused) {
  auto store = OpenStore();
  ASSERT_TRUE(store);
  Status s = store->DeleteNode("x");
  EXPECT_EQ(s.code(), Status::Code::kRefused);
  EXPECT_EQ(s.message(), "no node named 'x'");
  EXPECT_TRUE(store->PutNode(Config("x")).ok());
}

TEST_F(StoreTest, LoadAllIsSortedByName) {
  auto store = OpenStore();
  ASSERT_TRUE(store);
  for (const char* name : {"c", "a", "b10", "b2"}) ASSERT_TRUE(store->PutNode(Config(name)).ok());
  EXPECT_EQ(Names(*store), (std::vector<std::string>{"a", "b10", "b2", "c"}));
}

TEST_F(StoreTest, RecordExitKeepsTheNewestHundred) {
  auto store = OpenStore();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->PutNode(Config("w1")).ok());
  for (int i = 0; i < 150; ++i) {
    ASSERT_TRUE(store->RecordExit("w1", Exit(1000 + i, i, std::nullopt), i + 1).ok()) << i;
  }
  auto exits = store->Exits("w1");
  ASSERT_TRUE(exits.ok()) << exits.error();
  ASSERT_EQ(exits->size(), static_cast<size_t>(kExitHistoryPerNode));
  for (int k = 0; k < kExitHistoryPerNode; ++k) {
    EXPECT_EQ((*exits)[k].exit.code, 149 - k) << k;
    EXPECT_EQ((*exits)[k].exit.at, 1000 + 149 - k) << k;
  }
  // Trimmed in the table, not just in the listing.
  EXPECT_EQ(RawDb(path_).Text("SELECT count(*) FROM exits"), "100");
  auto nodes = store->LoadAll();
  ASSERT_TRUE(nodes.ok()) << nodes.error();
  ASSERT_EQ(nodes->size(), 1u);
  EXPECT_EQ((*nodes)[0].restarts, 150);
  ASSERT_TRUE((*nodes)[0].last_exit.has_value());
  EXPECT_EQ(Key(*(*nodes)[0].last_exit), Key(exits->front()));
  EXPECT_EQ((*nodes)[0].last_exit->exit.code, 149);
}

TEST_F(StoreTest, ExitFieldsRoundTrip) {
  auto store = OpenStore();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->PutNode(Config("w1")).ok());
  const std::vector<StoredExit> recorded = {Exit(1.5, 3, std::nullopt, false),
                                            Exit(2.25, std::nullopt, 9, true),
                                            Exit(3, std::nullopt, std::nullopt, true)};
  for (const StoredExit& e : recorded) ASSERT_TRUE(store->RecordExit("w1", e, 0).ok());
  auto exits = store->Exits("w1");
  ASSERT_TRUE(exits.ok()) << exits.error();
  EXPECT_EQ(Keys(*exits), Keys({recorded.rbegin(), recorded.rend()}));
}

TEST_F(StoreTest, RecordExitForAnUnknownNodeIsOkAndStoresNothing) {
  auto store = OpenStore();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->PutNode(Config("w1")).ok());
  Status s = store->RecordExit("gone", Exit(1, 0, std::nullopt), 5);
  EXPECT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(RawDb(path_).Text("SELECT count(*) FROM exits"), "0");
  auto nodes = store->LoadAll();
  ASSERT_TRUE(nodes.ok()) << nodes.error();
  ASSERT_EQ(nodes->size(), 1u);
  EXPECT_EQ((*nodes)[0].restarts, 0);
}

TEST_F(StoreTest, RecordRestartsSetsTheCountAndKeepsTheExits) {
  auto store = OpenStore();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->PutNode(Config("w1")).ok());
  ASSERT_TRUE(store->RecordExit("w1", Exit(1, 0, std::nullopt), 0).ok());
  ASSERT_TRUE(store->RecordRestarts("w1", 1).ok());
  EXPECT_TRUE(store->RecordRestarts("gone", 3).ok());
  auto nodes = store->LoadAll();
  ASSERT_TRUE(nodes.ok()) << nodes.error();
  ASSERT_EQ(nodes->size(), 1u);
  EXPECT_EQ((*nodes)[0].restarts, 1);
  EXPECT_TRUE((*nodes)[0].last_exit.has_value());
}

TEST_F(StoreTest, DataAndRestartsSurviveReopening) {
  for (Durability durability : {Durability::kFull, Durability::kNormal}) {
    SCOPED_TRACE(durability == Durability::kFull ? "kFull" : "kNormal");
    std::filesystem::remove(path_);
    {
      auto store = OpenStore(durability);
      ASSERT_TRUE(store);
      ASSERT_TRUE(store->PutNode(Config("w1")).ok());
      ASSERT_TRUE(store->PutNode(Config("w2")).ok());
      ASSERT_TRUE(store->RecordExit("w2", Exit(7, std::nullopt, 15, true), 7).ok());
      ASSERT_TRUE(store->DeleteNode("w1").ok());
    }
    auto store = OpenStore(durability);
    ASSERT_TRUE(store);
    auto nodes = store->LoadAll();
    ASSERT_TRUE(nodes.ok()) << nodes.error();
    ASSERT_EQ(nodes->size(), 1u);
    EXPECT_EQ((*nodes)[0].config, Config("w2"));
    EXPECT_EQ((*nodes)[0].restarts, 7);
    ASSERT_TRUE((*nodes)[0].last_exit.has_value());
    EXPECT_EQ(Key(*(*nodes)[0].last_exit), Key(Exit(7, std::nullopt, 15, true)));
  }
}

TEST_F(StoreTest, UsesWalModeAndTheLatestSchema) {
  auto store = OpenStore();
  ASSERT_TRUE(store);
  RawDb raw(path_);
  EXPECT_EQ(raw.Text("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw.Text("PRAGMA user_version"), std::to_string(store_schema::LatestVersion()));
  EXPECT_EQ(raw.Text("SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_schema "
                     "WHERE name IN ('nodes', 'exits', 'exits_by_node') ORDER BY name)"),
            "exits,exits_by_node,nodes");
}

TEST_F(StoreTest, FilesAreMode0600) {
  mode_t old_umask = umask(0);  // SQLite alone would then create 0644
  auto store = OpenStore();
  umask(old_umask);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->PutNode(Config("w1")).ok());  // the -wal and -shm exist now
  for (const char* suffix : {"", "-wal", "-shm"}) {
    struct stat st {};
    ASSERT_EQ(stat((path_ + suffix).c_str(), &st), 0) << suffix;
    EXPECT_EQ(st.st_mode & 07777, 0600u) << suffix;
  }
}

TEST_F(StoreTest, EveryFdSqliteOpensIsCloseOnExec) {
  auto store = OpenStore();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->PutNode(Config("w1")).ok());
  ASSERT_TRUE(store->LoadAll().ok());
  int seen = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    auto target = std::filesystem::read_symlink(entry.path(), ec);
    if (ec || target.string().rfind(dir_, 0) != 0) continue;
    ++seen;
    std::ifstream info("/proc/self/fdinfo/" + entry.path().filename().string());
    std::string key;
    std::string flags;
    while (info >> key && key != "flags:") {
    }
    info >> flags;
    EXPECT_NE(std::stoul(flags, nullptr, 8) & O_CLOEXEC, 0u) << target << " flags " << flags;
  }
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_GE(seen, 3) << "expected the database, its -wal and its -shm to be open";
}

TEST_F(StoreTest, NewerSchemaIsRefusedAndLeftUntouched) {
  {
    RawDb raw(path_);
    raw.Exec("CREATE TABLE future (x); PRAGMA user_version = 99;");
  }
  auto store = Store::Open(path_, Durability::kFull);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error(), "store: " + path_ +
                               " has schema version 99, newer than this zsupd understands (" +
                               std::to_string(store_schema::LatestVersion()) + "); upgrade zsupd");
  RawDb raw(path_);
  EXPECT_EQ(raw.Text("PRAGMA journal_mode"), "delete");
  EXPECT_EQ(raw.Text("PRAGMA user_version"), "99");
}

TEST_F(StoreTest, UndecodableConfigMakesLoadAllFailNamingTheNode) {
  auto store = OpenStore();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->PutNode(Config("a")).ok());
  ASSERT_TRUE(store->PutNode(Config("w1")).ok());
  RawDb(path_).Exec("UPDATE nodes SET config = x'c1ff00' WHERE name = 'w1'");
  auto nodes = store->LoadAll();
  ASSERT_FALSE(nodes.ok());
  EXPECT_EQ(nodes.error().rfind("store: load node 'w1': ", 0), 0u) << nodes.error();
  EXPECT_GT(nodes.error().size(), std::string("store: load node 'w1': ").size());
}

TEST_F(StoreTest, LockedDatabaseFailsWithTheOperationAndRecovers) {
  auto store = OpenStore();
  ASSERT_TRUE(store);
  RawDb raw(path_);
  raw.Exec("BEGIN IMMEDIATE");
  Status s = store->PutNode(Config("w1"));
  EXPECT_EQ(s.message(), "store: put node 'w1': database is locked");
  s = store->RecordExit("w1", Exit(1, 0, std::nullopt), 1);
  EXPECT_EQ(s.message(), "store: record exit of 'w1': database is locked");
  raw.Exec("ROLLBACK");
  EXPECT_TRUE(store->PutNode(Config("w1")).ok());
  EXPECT_EQ(Names(*store), std::vector<std::string>{"w1"});
}

TEST_F(StoreTest, OpenInAMissingDirectoryFails) {
  auto store = Store::Open(dir_ + "/missing/state.db", Durability::kFull);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error(), "store: open " + dir_ + "/missing/state.db: No such file or directory");
}

// leveldb's recovery_test in miniature: a process that dies right after
// PutNode returns, without closing anything, must not lose the node.
TEST_F(StoreTest, CommittedPutSurvivesTheProcessBeingKilled) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto store = Store::Open(path_, Durability::kFull);
    if (!store.ok() || !(*store)->PutNode(Config("w1")).ok()) _exit(1);
    kill(getpid(), SIGKILL);
    _exit(2);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child status " << status;
  ASSERT_TRUE(std::filesystem::exists(path_ + "-wal"));  // nothing checkpointed or cleaned up
  auto store = OpenStore();
  ASSERT_TRUE(store);
  auto nodes = store->LoadAll();
  ASSERT_TRUE(nodes.ok()) << nodes.error();
  ASSERT_EQ(nodes->size(), 1u);
  EXPECT_EQ((*nodes)[0].config, Config("w1"));
}

TEST_F(StoreTest, FreshSaysWhetherThereWasADatabaseBefore) {
  EXPECT_TRUE(OpenStore()->fresh());
  { auto store = OpenStore(); ASSERT_TRUE(store->PutNode(Config("w1")).ok()); }
  EXPECT_FALSE(OpenStore()->fresh());
  ASSERT_EQ(::truncate(path_.c_str(), 0), 0);
  EXPECT_TRUE(OpenStore()->fresh());
}

TEST_F(StoreTest, VerifyNoticesTheFileDeletedReplacedOrTruncated) {
  auto store = OpenStore();
  ASSERT_TRUE(store->PutNode(Config("w1")).ok());
  EXPECT_TRUE(store->Verify().ok()) << store->Verify().message();
  ASSERT_EQ(::unlink(path_.c_str()), 0);
  EXPECT_EQ(store->Verify().message(), path_ + " was deleted");

  store = OpenStore();
  ASSERT_TRUE(store->PutNode(Config("w1")).ok());
  const std::string other = dir_ + "/other";
  std::ofstream(other) << "x";
  ASSERT_EQ(::rename(other.c_str(), path_.c_str()), 0);
  EXPECT_EQ(store->Verify().message(), path_ + " was replaced by another file");

  std::filesystem::remove(path_);
  std::filesystem::remove(path_ + "-wal");
  store = OpenStore();
  ASSERT_TRUE(store->PutNode(Config("w1")).ok());
  ASSERT_EQ(::truncate((path_ + "-wal").c_str(), 0), 0);
  EXPECT_NE(store->Verify().message().find("-wal was truncated (0 bytes"), std::string::npos)
      << store->Verify().message();
}

TEST_F(StoreTest, ImportWritesNodesWithTheirRestartsAndLastExit) {
  auto store = OpenStore();
  StoredNode a{Config("a"), 7, Exit(12.5, 3, {})};
  StoredNode b{Config("b"), 0, std::nullopt};
  ASSERT_TRUE(store->Import({a, b}).ok());
  store = OpenStore();
  auto nodes = store->LoadAll();
  ASSERT_TRUE(nodes.ok()) << nodes.error();
  ASSERT_EQ(nodes->size(), 2u);
  EXPECT_EQ((*nodes)[0].config, a.config);
  EXPECT_EQ((*nodes)[0].restarts, 7);
  ASSERT_TRUE((*nodes)[0].last_exit);
  EXPECT_EQ(Key(*(*nodes)[0].last_exit), Key(*a.last_exit));
  EXPECT_FALSE((*nodes)[1].last_exit);
  EXPECT_EQ(store->Import({b}).code(), Status::Code::kError);  // b exists: all or nothing
}

TEST_F(StoreTest, DesiredDownIsKeptAndAVersion1DatabaseMigratesToUp) {
  {
    // A version 1 database, as an older zsupd left it.
    RawDb raw(path_);
    raw.Exec(
        "CREATE TABLE nodes (name TEXT PRIMARY KEY, config BLOB NOT NULL, restarts INTEGER "
        "NOT NULL DEFAULT 0, created_at REAL NOT NULL);"
        "CREATE TABLE exits (id INTEGER PRIMARY KEY AUTOINCREMENT, node TEXT NOT NULL "
        "REFERENCES nodes(name) ON DELETE CASCADE, at REAL, code INTEGER NULL, signal INTEGER "
        "NULL, commanded INTEGER NOT NULL);"
        "CREATE INDEX exits_by_node ON exits(node, id); PRAGMA user_version = 1;");
  }
  auto store = OpenStore();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->PutNode(Config("a")).ok());
  ASSERT_TRUE(store->PutNode(Config("b")).ok());
  ASSERT_TRUE(store->SetDesired({"a"}, false).ok());
  EXPECT_EQ(store->SetDesired({"b", "zzz"}, false).message(), "no node named 'zzz'");
  store = OpenStore();
  auto nodes = store->LoadAll();
  ASSERT_TRUE(nodes.ok()) << nodes.error();
  ASSERT_EQ(nodes->size(), 2u);
  EXPECT_FALSE((*nodes)[0].desired_up);
  EXPECT_TRUE((*nodes)[1].desired_up) << "the refused call changed nothing";
  ASSERT_TRUE(store->SetDesired({"a"}, true).ok());
  EXPECT_TRUE(store->LoadAll()->at(0).desired_up);
}

TEST_F(StoreTest, AHoldIsKeptUntilTheNodeIsDesiredUpAgain) {
  auto store = OpenStore();
  ASSERT_TRUE(store->PutNode(Config("a")).ok());
  ASSERT_TRUE(store->SetHold("a", "failed", "exit code 3 is a permanent failure").ok());
  EXPECT_TRUE(store->SetHold("gone", "exited", std::nullopt).ok());  // destroyed meanwhile
  store = OpenStore();
  StoredNode a = store->LoadAll()->at(0);
  EXPECT_EQ(a.hold, "failed");
  EXPECT_EQ(a.failed_reason, "exit code 3 is a permanent failure");
  ASSERT_TRUE(store->SetDesired({"a"}, false).ok());
  EXPECT_EQ(store->LoadAll()->at(0).hold, "failed") << "stop keeps it";
  ASSERT_TRUE(store->SetDesired({"a"}, true).ok());
  a = store->LoadAll()->at(0);
  EXPECT_FALSE(a.hold.has_value());
  EXPECT_FALSE(a.failed_reason.has_value());
}

TEST_F(StoreTest, ApplyCreatesUpdatesAndDeletesInOneTransaction) {
  auto store = OpenStore();
  for (const char* name : {"keep", "change", "drop"}) ASSERT_TRUE(store->PutNode(Config(name)).ok());
  ASSERT_TRUE(store->SetDesired({"change"}, false).ok());
  ASSERT_TRUE(store->SetHold("change", "failed", "start limit").ok());
  NodeConfig changed = Config("change");
  changed.interface = "eth7";
  ASSERT_TRUE(store->Apply({Config("new")}, {changed}, {"drop"}).ok());
  store = OpenStore();
  EXPECT_EQ(Names(*store), (std::vector<std::string>{"change", "keep", "new"}));
  StoredNode c = store->LoadAll()->at(0);
  EXPECT_EQ(c.config.interface, "eth7");
  EXPECT_FALSE(c.hold.has_value()) << "a new config takes a failed node back";
  EXPECT_FALSE(c.desired_up) << "a stopped node stays stopped";

  // One refused part leaves everything as it was.
  Status s = store->Apply({Config("other")}, {Config("keep")}, {"nope"});
  EXPECT_EQ(s.code(), Status::Code::kRefused);
  EXPECT_EQ(s.message(), "no node named 'nope'");
  EXPECT_EQ(Names(*store), (std::vector<std::string>{"change", "keep", "new"}));
  s = store->Apply({Config("keep")}, {}, {});
  EXPECT_EQ(s.message(), "node with name 'keep' already exists");
  s = store->Apply({}, {Config("ghost")}, {});
  EXPECT_EQ(s.message(), "no node named 'ghost'");
  EXPECT_TRUE(store->PutNode(Config("after")).ok()) << "rolled back: the store still writes";
}

}  // namespace
}  // namespace zsup
