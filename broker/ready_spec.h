// NodeConfig's `ready` key: when a node counts as ready. Parsed here for
// validation at create/apply (zsupd) and for the probe (the stem). Pure: no
// DNS, no I/O. Errors: ParseReady() returns Status::Error for text it does
// not accept; the caller prefixes the node and key.
#pragma once

#include <sys/socket.h>

#include <string>
#include <string_view>

#include "broker/status.h"

namespace zsup {

struct ReadySpec {
  enum class Kind {
    kExec,    // ready once exec succeeded (the default)
    kNotify,  // ready at sd_notify "READY=1"
    kTcp,     // ready once a TCP connect to `addr` succeeds
  };
  Kind kind = Kind::kExec;
  sockaddr_storage addr = {};  // kTcp only: AF_INET or AF_INET6, port set
  socklen_t addr_len = 0;      // 0 unless kTcp
};

// Accepts "exec", "notify", "tcp:PORT" and "tcp:HOST:PORT", where HOST is an
// IPv4 literal, "localhost" (127.0.0.1) or a bracketed IPv6 literal
// ("tcp:[::1]:8080") and defaults to 127.0.0.1; PORT is 1-65535 in decimal.
Result<ReadySpec> ParseReady(std::string_view text);

// "127.0.0.1:8080" or "[::1]:8080", for messages.
std::string FormatAddress(const sockaddr_storage& addr);

}  // namespace zsup
