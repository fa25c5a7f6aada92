// node.cfg's syntax: Python configparser's INI dialect, which ZeekControl
// reads it with, keeping the line of every section and key so that errors
// can say where. Pure functions.
//
// What the dialect is: `[section]` headers; `key = value` or `key: value`
// (keys lower-cased, both sides stripped); full-line comments starting with
// `#` or `;` (also indented); a line indented deeper than its key continues
// the value (joined with "\n"); blank lines end nothing. A key before any
// section, a line without `=`/`:`, a repeated section or a repeated key in
// one section is an error, as configparser's strict mode makes it. The
// entries of `[DEFAULT]` sections are the defaults of every other section.
// Values are interpolated as configparser does: "%%" is "%", "%(key)s" the
// value of another key of the section; any other '%' is an error.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "broker/status.h"

namespace zsup::cluster {

struct IniEntry {
  std::string key;  // lower-cased
  std::string value;
  int line = 0;  // 1-based line of the key
};

struct IniSection {
  std::string name;  // as written
  int line = 0;
  std::vector<IniEntry> entries;  // in file order, DEFAULT's appended

  const IniEntry* Find(std::string_view key) const;
};

// Larger inputs are refused (a node.cfg of 10,000 nodes is ~1 MiB).
inline constexpr size_t kMaxIniBytes = 16 << 20;

// The sections in file order, [DEFAULT] left out (merged into the others).
// Errors read "FILE:LINE: what".
Result<std::vector<IniSection>> ParseIni(std::string_view text, const std::string& file);

// Reads a whole file of at most `max_bytes`; "-" is standard input.
Result<std::string> ReadTextFile(const std::string& path, size_t max_bytes = kMaxIniBytes);

}  // namespace zsup::cluster
