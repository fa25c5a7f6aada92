#include "base/cli_errors.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <iostream>

namespace zsup::cli {
namespace {

const CLI::App* Deepest(const CLI::App& app) {
  for (const CLI::App* sub : app.get_subcommands()) {
    if (sub->parsed()) return Deepest(*sub);
  }
  return &app;
}

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::vector<std::string> SubcommandNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
  }
  return names;
}

std::string Quoted(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "'" : " '") + w + "'";
  return out;
}

// A number as the validators see it: the whole text, finite.
bool ParseNumber(const std::string& text, double* out) {
  char* end = nullptr;
  *out = std::strtod(text.c_str(), &end);
  return !text.empty() && end != nullptr && *end == '\0' && *out == *out;
}

}  // namespace

std::string CommandPath(const CLI::App& app) {
  std::string path = app.get_name();
  for (const CLI::App* parent = app.get_parent(); parent != nullptr; parent = parent->get_parent()) {
    path = parent->get_name() + " " + path;
  }
  return path;
}

int UsageError(const CLI::App& command, const std::string& message) {
  const std::string path = CommandPath(command);
  std::cerr << path << ": " << message << "\n"
            << "Run '" << path << " --help' for usage.\n";
  return kExitUsage;
}

int ReportParseError(CLI::App& app, const CLI::ParseError& e) {
  if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
  const CLI::App& where = *Deepest(app);
  // A first word that is no subcommand ends up in remaining() with
  // "A subcommand is required".
  if (e.get_name() == "RequiredError" && where.get_subcommands().empty() &&
      !where.remaining().empty() && !SubcommandNames(where).empty()) {
    const std::string word = where.remaining().front();
    if (!word.starts_with('-')) {
      const std::string near = Nearest(word, SubcommandNames(where));
      return UsageError(where, "unknown subcommand '" + word + "'" +
                                   (near.empty() ? "" : " (did you mean '" + near + "'?)"));
    }
  }
  if (e.get_name() == "RequiredError" && where.get_require_subcommand_min() > 0 &&
      std::none_of(where.get_subcommands().begin(), where.get_subcommands().end(),
                   [](const CLI::App* s) { return s->parsed(); })) {
    std::string names;
    for (const std::string& n : SubcommandNames(where)) names += (names.empty() ? "" : ", ") + n;
    return UsageError(where, "a subcommand is required (" + names + ")");
  }
  if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
    const std::vector<std::string> extra = where.remaining();
    return UsageError(where, std::string(extra.size() == 1 ? "unexpected argument "
                                                           : "unexpected arguments ") +
                                 Quoted(extra));
  }
  std::string message = e.what();
  // "The following ..." reads as "the following ..." after a colon; "FILE is required" stays.
  if (message.size() > 1 && std::isupper(static_cast<unsigned char>(message[0])) &&
      std::islower(static_cast<unsigned char>(message[1]))) {
    message[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(message[0])));
  }
  return UsageError(where, message);
}

std::string Nearest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = 3;
  for (const std::string& c : candidates) {
    const size_t d = EditDistance(word, c);
    if (d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

CLI::Validator Positive() {
  return CLI::Validator(
      [](const std::string& text) -> std::string {
        double v = 0;
        if (ParseNumber(text, &v) && v > 0) return "";
        return "must be greater than 0, not '" + text + "'";
      },
      "> 0", "positive");
}

CLI::Validator NonNegative() {
  return CLI::Validator(
      [](const std::string& text) -> std::string {
        double v = 0;
        if (ParseNumber(text, &v) && v >= 0) return "";
        return "must be 0 or more, not '" + text + "'";
      },
      ">= 0", "non-negative");
}

}  // namespace zsup::cli
