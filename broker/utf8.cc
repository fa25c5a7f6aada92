#include "broker/utf8.h"

#include <cstdint>
#include <cstring>

namespace zsup {
namespace {

// Length of the valid sequence at p (1..4), or 0 when invalid.
size_t SequenceLength(const unsigned char* p, const unsigned char* end) {
  unsigned char c = *p;
  if (c < 0x80) return 1;
  size_t len;
  uint32_t cp;
  if ((c & 0xE0) == 0xC0) {
    len = 2, cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, cp = c & 0x07;
  } else {
    return 0;
  }
  if (static_cast<size_t>(end - p) < len) return 0;
  for (size_t i = 1; i < len; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

// Index of the first byte that is not plain ASCII (8 bytes at a time).
size_t AsciiPrefix(std::string_view s) {
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, s.data() + i, 8);
    if (word & 0x8080808080808080ULL) break;
  }
  while (i < s.size() && static_cast<unsigned char>(s[i]) < 0x80) ++i;
  return i;
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  const auto* begin = reinterpret_cast<const unsigned char*>(s.data());
  const unsigned char* end = begin + s.size();
  const unsigned char* p = begin + AsciiPrefix(s);
  while (p < end) {
    size_t len = SequenceLength(p, end);
    if (len == 0) return false;
    p += len;
  }
  return true;
}

std::string_view SanitizeUtf8(std::string_view s, std::string* scratch) {
  if (IsValidUtf8(s)) return s;
  scratch->clear();
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const unsigned char* end = p + s.size();
  while (p < end) {
    size_t len = SequenceLength(p, end);
    if (len == 0) {
      scratch->append("\xEF\xBF\xBD");
      ++p;
    } else {
      scratch->append(reinterpret_cast<const char*>(p), len);
      p += len;
    }
  }
  return *scratch;
}

size_t Utf8CutPoint(std::string_view s, size_t n) {
  if (n >= s.size()) return s.size();
  // Back up over continuation bytes to the lead byte of the sequence that
  // straddles the cut, at most 3 bytes.
  size_t cut = n;
  for (int back = 0; back < 3 && cut > 0; ++back) {
    if ((static_cast<unsigned char>(s[cut]) & 0xC0) != 0x80) return cut;
    --cut;
  }
  return (static_cast<unsigned char>(s[cut]) & 0xC0) != 0x80 ? cut : n;
}

}  // namespace zsup
