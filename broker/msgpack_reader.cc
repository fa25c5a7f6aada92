#include "broker/msgpack_reader.h"

#include <algorithm>
#include <exception>
#include <limits>

#include "broker/utf8.h"

namespace zsup::mp {
namespace {

std::string_view KeyView(const msgpack::object& o) { return {o.via.str.ptr, o.via.str.size}; }

Status TypeError(const std::string& path, std::string_view want, const msgpack::object& got) {
  return Status::Error(path + ": must be " + std::string(want) + ", not " +
                       std::string(TypeName(got)));
}

}  // namespace

Result<msgpack::object_handle> Unpack(std::string_view bytes) {
  if (bytes.empty()) return Status::Error("empty message (expected msgpack)");
  // Every element takes at least one byte, every map entry two, so any count
  // above these can only belong to a truncated frame: refuse before allocating.
  const size_t n = bytes.size();
  const msgpack::unpack_limit limit(/*array=*/n, /*map=*/n / 2, /*str=*/n, /*bin=*/n,
                                    /*ext=*/n, /*depth=*/kMaxDepth);
  size_t offset = 0;
  try {
    msgpack::object_handle handle =
        msgpack::unpack(bytes.data(), n, offset, nullptr, nullptr, limit);
    if (offset != n) {
      return Status::Error("trailing bytes after the msgpack value (" + std::to_string(n - offset) +
                           " of " + std::to_string(n) + ")");
    }
    return handle;
  } catch (const msgpack::insufficient_bytes&) {
    return Status::Error("truncated msgpack message (" + std::to_string(n) + " bytes)");
  } catch (const msgpack::depth_size_overflow&) {
    return Status::Error("msgpack message nested deeper than " + std::to_string(kMaxDepth));
  } catch (const msgpack::size_overflow&) {
    return Status::Error("msgpack message claims more elements than its " + std::to_string(n) +
                         " bytes can hold");
  } catch (const msgpack::parse_error&) {
    return Status::Error("not a msgpack message (invalid byte)");
  } catch (const std::bad_alloc&) {
    return Status::Error("msgpack message too large to decode");
  } catch (const std::exception& e) {
    return Status::Error(std::string("not a msgpack message: ") + e.what());
  }
}

std::string_view TypeName(const msgpack::object& o) {
  switch (o.type) {
    case msgpack::type::NIL: return "nil";
    case msgpack::type::BOOLEAN: return "a boolean";
    case msgpack::type::POSITIVE_INTEGER:
    case msgpack::type::NEGATIVE_INTEGER: return "an integer";
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: return "a float";
    case msgpack::type::STR: return "a string";
    case msgpack::type::BIN: return "binary data";
    case msgpack::type::ARRAY: return "an array";
    case msgpack::type::MAP: return "a map";
    case msgpack::type::EXT: return "an extension value";
  }
  return "an unknown type";
}

Status Read(const msgpack::object& o, const std::string& path, std::string* out) {
  if (o.type != msgpack::type::STR) return TypeError(path, "a string", o);
  std::string_view s(o.via.str.ptr, o.via.str.size);
  if (!IsValidUtf8(s)) return Status::Error(path + ": must be valid UTF-8");
  out->assign(s);
  return Status::Ok();
}

Status Read(const msgpack::object& o, const std::string& path, int64_t* out) {
  if (o.type == msgpack::type::NEGATIVE_INTEGER) {
    *out = o.via.i64;
    return Status::Ok();
  }
  if (o.type != msgpack::type::POSITIVE_INTEGER) return TypeError(path, "an integer", o);
  if (o.via.u64 > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return Status::Error(path + ": integer out of range");
  }
  *out = static_cast<int64_t>(o.via.u64);
  return Status::Ok();
}

Status Read(const msgpack::object& o, const std::string& path, bool* out) {
  if (o.type != msgpack::type::BOOLEAN) return TypeError(path, "a boolean", o);
  *out = o.via.boolean;
  return Status::Ok();
}

Status Read(const msgpack::object& o, const std::string& path, double* out) {
  switch (o.type) {
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: *out = o.via.f64; return Status::Ok();
    case msgpack::type::POSITIVE_INTEGER: *out = static_cast<double>(o.via.u64); return Status::Ok();
    case msgpack::type::NEGATIVE_INTEGER: *out = static_cast<double>(o.via.i64); return Status::Ok();
    default: return TypeError(path, "a number", o);
  }
}

Status Read(const msgpack::object& o, const std::string& path, std::vector<std::string>* out) {
  if (o.type != msgpack::type::ARRAY) return TypeError(path, "an array of strings", o);
  std::vector<std::string> result;
  result.reserve(o.via.array.size);
  for (uint32_t i = 0; i < o.via.array.size; ++i) {
    const msgpack::object& e = o.via.array.ptr[i];
    if (e.type != msgpack::type::STR) return Status::Error(path + ": elements must be strings");
    Status s = Read(e, path + "[" + std::to_string(i) + "]", &result.emplace_back());
    if (!s.ok()) return s;
  }
  *out = std::move(result);
  return Status::Ok();
}

Status Read(const msgpack::object& o, const std::string& path, std::vector<int64_t>* out) {
  if (o.type != msgpack::type::ARRAY) return TypeError(path, "an array of integers", o);
  std::vector<int64_t> result;
  result.reserve(o.via.array.size);
  for (uint32_t i = 0; i < o.via.array.size; ++i) {
    Status s = Read(o.via.array.ptr[i], path + "[" + std::to_string(i) + "]", &result.emplace_back());
    if (!s.ok()) return s;
  }
  *out = std::move(result);
  return Status::Ok();
}

Status Read(const msgpack::object& o, const std::string& path,
            std::map<std::string, std::string>* out) {
  if (o.type != msgpack::type::MAP) return TypeError(path, "a map of strings to strings", o);
  std::map<std::string, std::string> result;
  for (uint32_t i = 0; i < o.via.map.size; ++i) {
    const msgpack::object_kv& kv = o.via.map.ptr[i];
    if (kv.key.type != msgpack::type::STR) return Status::Error(path + ": keys must be strings");
    if (kv.val.type != msgpack::type::STR) return Status::Error(path + ": values must be strings");
    std::string key, value;
    Status s = Read(kv.key, path, &key);
    if (s.ok()) s = Read(kv.val, path + "." + key, &value);
    if (!s.ok()) return s;
    if (!result.emplace(key, std::move(value)).second) {
      return Status::Error(path + ": duplicate key '" + key + "'");
    }
  }
  *out = std::move(result);
  return Status::Ok();
}

Result<MapReader> MapReader::Open(const msgpack::object& o, std::string path, std::string what) {
  if (o.type != msgpack::type::MAP) {
    const std::string& who = path.empty() ? what : path;
    return Status::Error((who.empty() ? "" : who + ": ") + "must be a map, not " +
                         std::string(TypeName(o)));
  }
  std::vector<std::string_view> keys;
  keys.reserve(o.via.map.size);
  for (uint32_t i = 0; i < o.via.map.size; ++i) {
    const msgpack::object& key = o.via.map.ptr[i].key;
    if (key.type != msgpack::type::STR) {
      return Status::Error((what.empty() ? "keys" : "keys of " + what) + " must be strings, not " +
                           std::string(TypeName(key)));
    }
    keys.push_back(KeyView(key));
  }
  std::sort(keys.begin(), keys.end());
  auto dup = std::adjacent_find(keys.begin(), keys.end());
  if (dup != keys.end()) {
    return Status::Error("duplicate field '" + std::string(*dup) + "'" +
                         (what.empty() ? "" : " in " + what));
  }
  return MapReader(o.via.map, std::move(path), std::move(what));
}

MapReader::MapReader(const msgpack::object_map& map, std::string path, std::string what)
    : map_(&map), path_(std::move(path)), what_(std::move(what)), taken_(map.size, false) {}

const msgpack::object* MapReader::Take(std::string_view key) {
  for (uint32_t i = 0; i < map_->size; ++i) {
    if (KeyView(map_->ptr[i].key) == key) {
      taken_[i] = true;
      const msgpack::object& v = map_->ptr[i].val;
      return v.type == msgpack::type::NIL ? nullptr : &v;
    }
  }
  return nullptr;
}

std::string MapReader::FieldPath(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

Status MapReader::NoUnknownFields() const {
  std::vector<Status> unknown = UnknownFields();
  return unknown.empty() ? Status::Ok() : unknown.front();
}

std::vector<Status> MapReader::UnknownFields() const {
  std::vector<Status> unknown;
  for (uint32_t i = 0; i < map_->size; ++i) {
    if (!taken_[i]) {
      std::string key(KeyView(map_->ptr[i].key));
      if (!IsValidUtf8(key)) key = "<invalid UTF-8>";
      unknown.push_back(Status::Error("unknown field '" + key + "'" + In()));
    }
  }
  return unknown;
}

}  // namespace zsup::mp
