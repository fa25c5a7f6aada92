#include "broker/ready_spec.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string>

namespace zsup {
namespace {

Status NotAReadySpec(std::string_view text) {
  return Status::Error(
      "must be \"exec\", \"notify\", \"tcp:PORT\" or \"tcp:HOST:PORT\" with HOST an IP address "
      "or localhost, not '" +
      std::string(text) + "'");
}

// 1-65535 in plain decimal, or 0 when `text` is not that.
uint16_t ParsePort(std::string_view text) {
  if (text.empty() || text.size() > 5) return 0;
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return 0;
  }
  unsigned port = 0;
  std::from_chars(text.data(), text.data() + text.size(), port);
  return port <= 65535 ? static_cast<uint16_t>(port) : 0;
}

}  // namespace

Result<ReadySpec> ParseReady(std::string_view text) {
  ReadySpec spec;
  if (text == "exec") return spec;
  if (text == "notify") {
    spec.kind = ReadySpec::Kind::kNotify;
    return spec;
  }
  if (!text.starts_with("tcp:")) return NotAReadySpec(text);
  std::string_view rest = text.substr(4);
  std::string host = "127.0.0.1";
  bool v6 = false;
  if (rest.starts_with('[')) {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos || rest.substr(close + 1, 1) != ":") {
      return NotAReadySpec(text);
    }
    host = std::string(rest.substr(1, close - 1));
    rest = rest.substr(close + 2);
    v6 = true;
  } else if (const size_t colon = rest.find(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon) == "localhost" ? "127.0.0.1" : std::string(rest.substr(0, colon));
    rest = rest.substr(colon + 1);
  }
  const uint16_t port = ParsePort(rest);
  if (port == 0) return NotAReadySpec(text);

  spec.kind = ReadySpec::Kind::kTcp;
  if (v6) {
    auto& sa = reinterpret_cast<sockaddr_in6&>(spec.addr);
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons(port);
    if (::inet_pton(AF_INET6, host.c_str(), &sa.sin6_addr) != 1) return NotAReadySpec(text);
    spec.addr_len = sizeof sa;
  } else {
    auto& sa = reinterpret_cast<sockaddr_in&>(spec.addr);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    if (::inet_pton(AF_INET, host.c_str(), &sa.sin_addr) != 1) return NotAReadySpec(text);
    spec.addr_len = sizeof sa;
  }
  return spec;
}

std::string FormatAddress(const sockaddr_storage& addr) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (addr.ss_family == AF_INET) {
    const auto& sa = reinterpret_cast<const sockaddr_in&>(addr);
    ::inet_ntop(AF_INET, &sa.sin_addr, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(ntohs(sa.sin_port));
  }
  const auto& sa = reinterpret_cast<const sockaddr_in6&>(addr);
  ::inet_ntop(AF_INET6, &sa.sin6_addr, buf, sizeof buf);
  return "[" + std::string(buf) + "]:" + std::to_string(ntohs(sa.sin6_port));
}

}  // namespace zsup
