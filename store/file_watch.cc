#include "store/file_watch.h"

#include <sys/stat.h>

#include <cerrno>

namespace zsup {

std::optional<FileWatch::Identity> FileWatch::Look(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return Identity{st.st_dev, st.st_ino, st.st_size};
}

void FileWatch::Remember() {
  db_ = Look(path_);
  wal_ = Look(path_ + "-wal");
}

Status FileWatch::Compare(const std::string& path, const std::optional<Identity>& then) {
  if (!then) return Status::Ok();  // not there when last looked: nothing to lose yet
  std::optional<Identity> now = Look(path);
  if (!now) return Status::Error(path + " was deleted");
  if (now->dev != then->dev || now->ino != then->ino) {
    return Status::Error(path + " was replaced by another file");
  }
  if (now->size < then->size) {
    return Status::Error(path + " was truncated (" + std::to_string(now->size) + " bytes, " +
                         std::to_string(then->size) + " after the last commit)");
  }
  return Status::Ok();
}

Status FileWatch::Check() const {
  Status s = Compare(path_, db_);
  return s.ok() ? Compare(path_ + "-wal", wal_) : s;
}

}  // namespace zsup
