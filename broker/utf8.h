// UTF-8 checks used by the decoders (reject invalid strings) and the stem
// (make node output valid before it goes on the wire). Pure functions.
#pragma once

#include <string>
#include <string_view>

namespace zsup {

// Strict: no overlong forms, no surrogates, nothing past U+10FFFF.
bool IsValidUtf8(std::string_view s);

// `s` with every invalid sequence replaced by U+FFFD. Returns `s` itself
// when it is valid (the common case costs one scan), else a view of *scratch.
std::string_view SanitizeUtf8(std::string_view s, std::string* scratch);

// The largest n' <= n such that s[0, n') does not end inside a multi-byte
// sequence (n' >= n - 3). For splitting long lines.
size_t Utf8CutPoint(std::string_view s, size_t n);

}  // namespace zsup
