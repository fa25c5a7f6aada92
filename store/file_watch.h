// Notices when the files under an open SQLite database are deleted, replaced
// or truncated behind its back (an operator's `rm`, a restore gone wrong).
// SQLite keeps writing into the open descriptors, so without this a deleted
// state.db keeps acknowledging commits that no restart will find.
//
// Watches the database file and its -wal by identity (device, inode) and
// size: a file that is gone, is another file, or is smaller than after the
// last commit (SQLite never shrinks a WAL database without VACUUM) is
// reported. Two stat(2) calls per Check(); single-threaded.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "broker/status.h"

namespace zsup {

class FileWatch {
 public:
  explicit FileWatch(std::string path) : path_(std::move(path)) {}

  // Takes the files as they are now as the good state (after open, after
  // each commit).
  void Remember();
  // OK while the files are the ones remembered; else what happened, e.g.
  // "/var/lib/zsup/state.db was deleted".
  Status Check() const;

 private:
  struct Identity {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
  };
  static std::optional<Identity> Look(const std::string& path);
  static Status Compare(const std::string& path, const std::optional<Identity>& then);

  std::string path_;
  std::optional<Identity> db_;
  std::optional<Identity> wal_;
};

}  // namespace zsup
