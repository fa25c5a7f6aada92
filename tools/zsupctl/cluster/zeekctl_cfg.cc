#include "tools/zsupctl/cluster/zeekctl_cfg.h"

#include <cstdint>
#include <string_view>

#include "broker/validation.h"
#include "tools/zsupctl/cluster/text.h"

namespace zsup::cluster {
namespace {

using text::Lower;
using text::Strip;

bool ParseInt(const std::string& s, int* out) {
  auto value = text::ParseInt(s);
  if (!value || *value < INT32_MIN || *value > INT32_MAX) return false;
  *out = static_cast<int>(*value);
  return true;
}

// `${Name}` / `${Name:fallback}` in a default, from the options set so far.
std::string Expand(const std::string& value, const std::map<std::string, std::string>& set) {
  std::string out;
  size_t i = 0;
  while (i < value.size()) {
    const size_t open = value.find("${", i);
    const size_t close = open == std::string::npos ? open : value.find('}', open);
    if (close == std::string::npos) break;
    out += value.substr(i, open - i);
    std::string name = value.substr(open + 2, close - open - 2);
    std::string fallback;
    if (size_t colon = name.find(':'); colon != std::string::npos) {
      fallback = name.substr(colon + 1);
      name.resize(colon);
    }
    auto it = set.find(Lower(name));
    out += it != set.end() ? it->second : fallback;
    i = close + 1;
  }
  return out + value.substr(i);
}

}  // namespace

bool ZeekctlOptions::zeromq() const { return Lower(cluster_backend) == "zeromq"; }

ZeekctlOptions DefaultZeekctlOptions() {
  auto options = ParseZeekctlCfg("", "(defaults)");
  return options.ok() ? *options : ZeekctlOptions{};
}

Result<ZeekctlOptions> ParseZeekctlCfg(const std::string& text, const std::string& file) {
  std::map<std::string, std::string> set;  // lower-cased key -> value
  std::map<std::string, int> line_of;
  size_t pos = 0;
  int number = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    const std::string line = Strip(std::string_view(text).substr(pos, eol - pos));
    pos = eol + 1;
    ++number;
    if (line.empty() || line.front() == '#') continue;
    const size_t eq = line.find('=');
    if (eq == std::string::npos) {
      return Status::Error(file + ":" + std::to_string(number) +
                           ": zeekctl config syntax error: " + line);
    }
    const std::string key = Lower(Strip(std::string_view(line).substr(0, eq)));
    set[key] = Strip(std::string_view(line).substr(eq + 1));
    line_of[key] = number;
  }
  auto where = [&](const std::string& key) {
    auto it = line_of.find(key);
    return it == line_of.end() ? file : file + ":" + std::to_string(it->second);
  };
  static const std::pair<const char*, const char*> kLegacy[] = {
      {"BroPort", "ZeekPort"},           {"BroArgs", "ZeekArgs"},
      {"BroBase", "ZeekBase"},           {"Bro", "Zeek"},
      {"PluginBroDir", "PluginZeekDir"}, {"BroCtlConfigDir", "ZeekCtlConfigDir"}};
  for (const auto& [legacy, current] : kLegacy) {
    if (set.contains(Lower(legacy))) {
      return Status::Error(where(Lower(legacy)) + ": option '" + legacy +
                           "' is no longer supported, please use '" + current + "' instead");
    }
  }
  for (const auto& [key, value] : set) {
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      return Status::Error(where(key) + ": value of zeekctl option \"" + key +
                           "\" cannot be wrapped in quotes");
    }
  }
  ZeekctlOptions o;
  Status s;
  auto integer = [&](const std::string& key, int* out) {
    auto it = set.find(key);
    if (!s.ok() || it == set.end()) return;
    if (!ParseInt(it->second, out)) {
      s = Status::Error(where(key) + ": zeekctl option '" + key + "' has invalid value '" +
                        it->second + "' for type int");
    }
  };
  auto string = [&](const std::string& key, std::string* out) {
    auto it = set.find(key);
    if (it != set.end()) {
      *out = it->second;
    } else {
      set[key] = Expand(*out, set);  // a default, expanded like ZeekControl's
      *out = set[key];
    }
  };
  integer("zeekport", &o.zeek_port);
  integer("metricsport", &o.metrics_port);
  integer("pfringclusterid", &o.pfring_cluster_id);
  integer("pfringfirstappinstance", &o.pfring_first_app_instance);
  if (!s.ok()) return s;
  if (o.zeek_port < 1 || o.zeek_port > 65535 - 2) {
    return Status::Error(where("zeekport") + ": ZeekPort must be between 1 and 65533");
  }
  if (o.metrics_port < 0 || o.metrics_port > 65535) {
    return Status::Error(where("metricsport") + ": MetricsPort must be between 0 and 65535");
  }
  string("clusterbackend", &o.cluster_backend);
  string("metricsaddress", &o.metrics_address);
  string("zeekbase", &o.zeek_base);
  o.spool_dir = "${ZeekBase}/spool";
  string("spooldir", &o.spool_dir);
  std::string zeek_args;
  string("zeekargs", &zeek_args);
  string("sitepolicyscripts", &o.site_policy_scripts);
  string("pfringclustertype", &o.pfring_cluster_type);
  string("lb_custom.interfaceprefix", &o.lb_custom_prefix);
  string("lb_custom.interfacesuffix", &o.lb_custom_suffix);
  const std::string backend = Lower(o.cluster_backend);
  if (backend != "zeromq" && backend != "broker") {
    return Status::Error(where("clusterbackend") + ": ClusterBackend '" + o.cluster_backend +
                         "' is not supported (ZeroMQ or Broker)");
  }
  if (!o.metrics_address.empty()) {
    if (!IsIpAddressLiteral(o.metrics_address)) {
      return Status::Error(where("metricsaddress") + ": MetricsAddress '" + o.metrics_address +
                           "' is not an IP address");
    }
  }
  auto words = ShellWords(zeek_args);
  if (!words.ok()) return Status::Error(where("zeekargs") + ": ZeekArgs: " + words.error());
  o.zeek_args = std::move(*words);
  if (auto it = set.find("env_vars"); it != set.end()) {
    auto env = ParseEnvVars(it->second, where("env_vars") + ": zeekctl config");
    if (!env.ok()) return env.status();
    o.env_vars = std::move(*env);
  }
  return o;
}

Result<std::map<std::string, std::string>> ParseEnvVars(const std::string& text,
                                                        const std::string& context) {
  std::map<std::string, std::string> env;
  if (text.empty()) return env;
  for (const std::string& item : text::Split(text, ',')) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos) {
      return Status::Error(context + ": missing '=' in env_vars option value: " + item);
    }
    const std::string key = Strip(std::string_view(item).substr(0, eq));
    if (key.empty()) {
      return Status::Error(context +
                           ": env_vars option value must contain at least one environment "
                           "variable name: " +
                           item);
    }
    env[key] = Strip(std::string_view(item).substr(eq + 1));
  }
  return env;
}

std::string RemoveShellQuotes(const std::string& value) {
  std::string out;
  char quote = 0;  // the open quote, if any
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (quote == '\'') {
      if (c == '\'')
        quote = 0;
      else
        out += c;
    } else if (c == '\\' && i + 1 < value.size() &&
               (quote == 0 ||
                std::string_view("$`\"\\").find(value[i + 1]) != std::string_view::npos)) {
      out += value[++i];
    } else if (quote == '"' && c == '"') {
      quote = 0;
    } else if (quote == 0 && (c == '"' || c == '\'')) {
      quote = c;
    } else {
      out += c;
    }
  }
  return out;
}

Result<std::vector<std::string>> ShellWords(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote == 0 && c == '#' && !in_word) break;  // a comment, as for the shell
    if (quote == 0 && std::string_view(";|&<>`$()").find(c) != std::string_view::npos) {
      return Status::Error(std::string("'") + c +
                           "' outside quotes: zsup runs no shell (quote it, or leave it out)");
    }
    if (quote == 0 && (c == ' ' || c == '\t' || c == '\n')) {
      if (in_word) words.push_back(RemoveShellQuotes(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    word += c;
    if (c == '\\' && quote != '\'' && i + 1 < text.size()) {
      word += text[++i];
    } else if (quote == 0 && (c == '"' || c == '\'')) {
      quote = c;
    } else if (c == quote) {
      quote = 0;
    }
  }
  if (quote != 0) return Status::Error(std::string("unterminated ") + quote + " quote");
  if (in_word) words.push_back(RemoveShellQuotes(word));
  return words;
}

}  // namespace zsup::cluster
