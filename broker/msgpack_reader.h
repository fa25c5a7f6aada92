// Strict, total reading of msgpack input (internal to broker/).
//
// Unpack() turns any byte string into one msgpack object or an error; its
// limits make every claimed length fit in the input, so a 5-byte frame cannot
// make it allocate gigabytes, and nesting is bounded. The Read() overloads and
// MapReader convert objects into typed values, naming the offending field in
// every error ("config.env: values must be strings").
#pragma once

#include <msgpack.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/status.h"

namespace zsup::mp {

// Deepest nesting accepted (NodeConfig needs 4: config.cluster.x.p).
inline constexpr size_t kMaxDepth = 32;

Result<msgpack::object_handle> Unpack(std::string_view bytes);

// "a string", "an integer", ... for error messages.
std::string_view TypeName(const msgpack::object& o);

// Each fails with "<path>: must be <type>" (or a more precise message).
Status Read(const msgpack::object& o, const std::string& path, std::string* out);
Status Read(const msgpack::object& o, const std::string& path, int64_t* out);
Status Read(const msgpack::object& o, const std::string& path, bool* out);
Status Read(const msgpack::object& o, const std::string& path, double* out);  // int or float
Status Read(const msgpack::object& o, const std::string& path, std::vector<std::string>* out);
Status Read(const msgpack::object& o, const std::string& path, std::vector<int64_t>* out);
Status Read(const msgpack::object& o, const std::string& path,
            std::map<std::string, std::string>* out);

// Walks a map with string keys, field by field, then rejects what was not
// asked for. A nil value counts as absent.
class MapReader {
 public:
  // `path` prefixes field errors ("config" -> "config.name: ..."); `what`
  // names the map in unknown-field errors ("unknown field 'x' in config";
  // "": "unknown field 'x'").
  static Result<MapReader> Open(const msgpack::object& o, std::string path, std::string what);

  // The value of `key`, or nullptr when absent or nil. Marks `key` as known.
  const msgpack::object* Take(std::string_view key);
  std::string FieldPath(std::string_view key) const;

  template <typename T>
  Status Required(std::string_view key, T* out) {
    const msgpack::object* o = Take(key);
    if (o == nullptr) return Status::Error("missing field '" + std::string(key) + "'" + In());
    return Read(*o, FieldPath(key), out);
  }
  // Leaves *out untouched when the key is absent.
  template <typename T>
  Status Default(std::string_view key, T* out) {
    const msgpack::object* o = Take(key);
    return o == nullptr ? Status::Ok() : Read(*o, FieldPath(key), out);
  }
  template <typename T>
  Status Optional(std::string_view key, std::optional<T>* out) {
    const msgpack::object* o = Take(key);
    if (o == nullptr) return Status::Ok();
    T value{};
    Status s = Read(*o, FieldPath(key), &value);
    if (s.ok()) *out = std::move(value);
    return s;
  }

  // "unknown field 'x' in <what>" for the first key never taken.
  Status NoUnknownFields() const;
  // The same for every key never taken, in the map's order.
  std::vector<Status> UnknownFields() const;

 private:
  MapReader(const msgpack::object_map& map, std::string path, std::string what);
  std::string In() const { return what_.empty() ? "" : " in " + what_; }  // " in <what>"
  const msgpack::object_map* map_;
  std::string path_;
  std::string what_;
  std::vector<bool> taken_;
};

}  // namespace zsup::mp
