// A node's stdout_file / stderr_file as the stem writes it (PROTOCOL.md v2,
// "Output to files"): appended to, never truncated; rotated by size
// (F -> F.1 -> ... -> F.<backups>, the oldest deleted) before a write that
// would take it past max_bytes, with writes of at most max_bytes, so no
// file ever passes max_bytes (a line may be split between two files);
// reopened on `reopen` after logrotate moved it.
// Rotation renames the open file, so no byte is lost or reordered.
//
// Files are created 0640 (less what the stem's umask removes), close-on-exec,
// and owned by the node's user when it has one. The stem runs as root while
// that user may own the node's directory, so the last path component is
// never followed as a symlink, a path inside `beneath` (the node's
// directory) is resolved without any symlink below it (openat2), renames
// of a rotation happen in the directory the file was opened in, and only
// regular files and character devices (/dev/null) are written. Splice() moves a pipe's
// bytes with splice(2) (no copy through the stem); since splice cannot write
// to an O_APPEND descriptor, the file's size is read with fstat(2) before
// each batch instead, which keeps appending after a copytruncate too.
//
// Errors are values; a failed write leaves the bytes unwritten and is
// reported once per failure, not retried. Single-threaded (the stem's loop).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "broker/fd.h"
#include "broker/messages.h"
#include "broker/status.h"

namespace zsup {

class OutputFile {
 public:
  struct Options {
    std::string path;  // absolute
    std::optional<Rotation> rotation;
    std::optional<uid_t> uid;  // owner of the files it creates
    std::optional<gid_t> gid;
    // Set for a node whose user is not root: no symlink is followed below
    // this directory (the node's directory when the file is in it, else
    // "/"), since that user may own directories on the way.
    std::optional<std::string> beneath;
  };

  static Result<OutputFile> Open(Options options);

  // Appends all of `data`, rotating first when due.
  Status Write(std::string_view data);
  // Moves what `pipe_fd` holds now, at most `max_bytes`, into the file.
  // Returns the bytes moved; *eof is set when the pipe's writers are gone.
  // A filesystem without splice support falls back to read and write.
  Result<size_t> Splice(int pipe_fd, size_t max_bytes, bool* eof);
  // Closes the file and opens `path` again (creating it).
  Status Reopen();

  const std::string& path() const { return options_.path; }
  int64_t size() const { return size_; }

 private:
  explicit OutputFile(Options options) : options_(std::move(options)) {}
  Status OpenPath();
  // Reads the size and rotates when `next` more bytes would pass max_bytes.
  Status Prepare(size_t next);
  Status Rotate();
  Status WriteAt(std::string_view data);
  // The largest single write: max_bytes with rotation, so no file passes it.
  size_t MaxChunk() const;

  Options options_;
  UniqueFd dir_;  // O_PATH descriptor of the directory holding the file
  std::string base_;  // the file's name in it
  bool regular_ = true;
  UniqueFd fd_;
  int64_t size_ = 0;
  bool append_ = true;     // O_APPEND is set (cleared for splicing)
  bool splice_ok_ = true;
};

}  // namespace zsup
