// ZeroMQ CURVE keys as zsup keeps them (PROTOCOL.md, "Remote access"): one
// Z85 key per file (40 characters; blank lines and `#` comments allowed),
// a public key in `NAME.key`, a secret key in `NAME.secret` (0600).
//
// Shared by zsupd (its server keypair, the authorized key files) and its
// clients (zsupctl keygen, --server-key, --client-key). Pure apart from the
// files; errors name the file.
#pragma once

#include <string>
#include <string_view>

#include "broker/status.h"

namespace zsup {

inline constexpr size_t kZ85KeyChars = 40;
// Anything longer is not a key file (read no further).
inline constexpr size_t kMaxKeyFileBytes = 64 * 1024;

struct CurveKeyPair {
  std::string public_z85;
  std::string secret_z85;
};

// A new keypair from libzmq (needs libzmq built with CURVE).
Result<CurveKeyPair> NewCurveKeyPair();

// The public key that belongs to a secret key.
Result<std::string> CurvePublicFromSecret(const std::string& secret_z85);

// Whether `text` is a Z85-encoded 32-byte key.
bool IsZ85Key(std::string_view text);

// The key in a key file's text: the one line that is neither blank nor a
// `#` comment, trimmed. An error says what is wrong, without the file name.
Result<std::string> ParseKeyText(std::string_view text);

// ParseKeyText of a file's content (at most kMaxKeyFileBytes).
Result<std::string> ReadKeyFile(const std::string& path);

// Writes `key` and a newline to `path` atomically with `mode` (a temporary
// file, fsync'd and renamed); refuses to replace an existing file.
Status WriteKeyFile(const std::string& path, const std::string& key, unsigned mode);

// The 32 bytes of a Z85 key (for comparing with ZAP's credentials).
std::string Z85Decode32(const std::string& z85);

}  // namespace zsup
