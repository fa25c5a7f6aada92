#include "tools/zsupctl/cluster/ini.h"

#include <cerrno>
#include <cstdio>
#include <memory>
#include <optional>

#include "tools/zsupctl/cluster/text.h"

namespace zsup::cluster {
namespace {

size_t IndentOf(std::string_view line) {
  const size_t n = line.find_first_not_of(text::kSpace);
  return n == std::string_view::npos ? line.size() : n;
}

Status ErrorAt(const std::string& file, int line, const std::string& what) {
  return Status::Error(file + ":" + std::to_string(line) + ": " + what);
}

// configparser's BasicInterpolation: "%%" is "%", "%(key)s" the value of
// another key of the section (itself interpolated), any other '%' an error.
Result<std::string> Interpolate(const IniSection& section, const IniEntry& entry,
                                const std::string& file, int depth) {
  if (depth > 10) return ErrorAt(file, entry.line, "'%(...)s' references nest too deep");
  const std::string& v = entry.value;
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] != '%') {
      out += v[i];
    } else if (i + 1 < v.size() && v[i + 1] == '%') {
      out += '%';
      ++i;
    } else if (i + 1 < v.size() && v[i + 1] == '(') {
      const size_t close = v.find(")s", i + 2);
      if (close == std::string::npos) {
        return ErrorAt(file, entry.line, "bad interpolation in '" + v + "' (want %(key)s)");
      }
      const std::string key = text::Lower(v.substr(i + 2, close - i - 2));
      const IniEntry* other = section.Find(key);
      if (other == nullptr) {
        return ErrorAt(file, entry.line,
                       "'%(" + key + ")s' names no key of [" + section.name + "]");
      }
      auto value = Interpolate(section, *other, file, depth + 1);
      if (!value.ok()) return value.status();
      out += *value;
      i = close + 1;
    } else {
      return ErrorAt(file, entry.line,
                     "'%' must be followed by '%' or '(' in '" + v + "' (write %% for a %)");
    }
  }
  return out;
}

}  // namespace

const IniEntry* IniSection::Find(std::string_view key) const {
  for (const IniEntry& e : entries) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

Result<std::vector<IniSection>> ParseIni(std::string_view text, const std::string& file) {
  if (text.size() > kMaxIniBytes) {
    return Status::Error(file + ": larger than " + std::to_string(kMaxIniBytes >> 20) + " MiB");
  }
  std::vector<IniSection> sections;
  std::optional<IniSection> defaults;
  IniSection* current = nullptr;
  IniEntry* value_of = nullptr;  // the entry a deeper-indented line continues
  size_t value_indent = 0;
  int number = 0;
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    ++number;
    const std::string stripped_line = text::Strip(line);
    const std::string_view stripped = stripped_line;
    if (stripped.empty() || stripped.front() == '#' || stripped.front() == ';') continue;
    const size_t indent = IndentOf(line);
    if (value_of != nullptr && indent > value_indent) {
      value_of->value += "\n";
      value_of->value += stripped;
      continue;
    }
    value_of = nullptr;
    if (stripped.front() == '[') {
      const size_t close = stripped.rfind(']');
      if (close == std::string_view::npos || close < 2) {
        return ErrorAt(file, number, "a section header must be [NAME]");
      }
      const std::string name(stripped.substr(1, close - 1));
      if (name == "DEFAULT") {
        if (!defaults) defaults.emplace(IniSection{name, number, {}});
        current = &*defaults;
        continue;
      }
      for (const IniSection& s : sections) {
        if (s.name == name) {
          return ErrorAt(file, number,
                         "section [" + name + "] appears twice (first on line " +
                             std::to_string(s.line) + ")");
        }
      }
      sections.push_back(IniSection{name, number, {}});
      current = &sections.back();
      continue;
    }
    if (current == nullptr) {
      return ErrorAt(file, number, "'" + std::string(stripped) + "' comes before any [section]");
    }
    const size_t delimiter = stripped.find_first_of("=:");
    if (delimiter == std::string_view::npos) {
      return ErrorAt(file, number, "expected KEY = VALUE, not '" + std::string(stripped) + "'");
    }
    const std::string key = text::Lower(text::Strip(stripped.substr(0, delimiter)));
    if (key.empty()) return ErrorAt(file, number, "a key is missing before '='");
    if (const IniEntry* earlier = current->Find(key)) {
      return ErrorAt(file, number,
                     "'" + key + "' is set twice in [" + current->name + "] (first on line " +
                         std::to_string(earlier->line) + ")");
    }
    current->entries.push_back(IniEntry{key, text::Strip(stripped.substr(delimiter + 1)), number});
    value_of = &current->entries.back();
    value_indent = indent;
  }
  if (defaults) {
    for (IniSection& s : sections) {
      for (const IniEntry& d : defaults->entries) {
        if (s.Find(d.key) == nullptr) s.entries.push_back(d);
      }
    }
  }
  for (IniSection& s : sections) {
    std::vector<std::string> values;
    for (const IniEntry& e : s.entries) {
      auto value = Interpolate(s, e, file, 0);
      if (!value.ok()) return value.status();
      values.push_back(std::move(*value));
    }
    for (size_t i = 0; i < values.size(); ++i) s.entries[i].value = std::move(values[i]);
  }
  return sections;
}

Result<std::string> ReadTextFile(const std::string& path, size_t max_bytes) {
  FILE* f = path == "-" ? stdin : std::fopen(path.c_str(), "rbe");
  if (f == nullptr) return Status::Errno("cannot open " + path, errno);
  std::unique_ptr<FILE, int (*)(FILE*)> closer(f == stdin ? nullptr : f, &std::fclose);
  std::string text;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    text.append(buf, n);
    if (text.size() > max_bytes) {
      return Status::Error(path + " is larger than " + std::to_string(max_bytes >> 20) + " MiB");
    }
  }
  if (std::ferror(f)) return Status::Errno("cannot read " + path, errno);
  return text;
}

}  // namespace zsup::cluster
