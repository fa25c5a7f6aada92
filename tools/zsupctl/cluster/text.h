// The small text rules ZeekControl's files share (Python's str.strip(),
// str.lower() and int() as ZeekControl uses them), for this folder only.
#pragma once

#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zsup::cluster::text {

inline constexpr std::string_view kSpace = " \t\r\n\f\v";

inline std::string Strip(std::string_view s) {
  const size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return std::string(s.substr(begin, s.find_last_not_of(kSpace) - begin + 1));
}

// ASCII only, as ZeekControl's keys are.
inline std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Python's int() on a string (surrounding blanks and a sign allowed), without
// its '_' digit separators.
inline std::optional<long> ParseInt(std::string_view text) {
  const std::string s = Strip(text);
  const char* begin = s.data() + (s.starts_with('+') ? 1 : 0);
  long value = 0;
  auto [end, ec] = std::from_chars(begin, s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || begin == end) return std::nullopt;
  return value;
}

// The white-space separated words of `s` (Python's str.split()).
inline std::vector<std::string> Words(std::string_view s) {
  std::vector<std::string> words;
  size_t i = 0;
  while ((i = s.find_first_not_of(kSpace, i)) != std::string_view::npos) {
    const size_t end = std::min(s.find_first_of(kSpace, i), s.size());
    words.emplace_back(s.substr(i, end - i));
    i = end;
  }
  return words;
}

// `s` split at every `sep`, pieces unstripped (Python's str.split(sep)).
inline std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> pieces;
  for (size_t begin = 0;;) {
    const size_t at = s.find(sep, begin);
    pieces.emplace_back(s.substr(begin, at - begin));
    if (at == std::string_view::npos) return pieces;
    begin = at + 1;
  }
}

}  // namespace zsup::cluster::text
