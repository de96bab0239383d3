#include "admin/config_file.h"

#include <algorithm>
#include <libconfig.h++>

#include "admin/columns.h"
#include "fmt/format.h"

namespace gp::admin {

namespace {

// A key of a row group names its column, or is the column's alias.
bool names(const Column& column, std::string_view key) {
  return key == column.name || (!column.alias.empty() && key == column.alias);
}

class Reader {
 public:
  explicit Reader(const std::string& name) : name_(name) {}

  Error error(const libconfig::Setting& s, std::string_view what) const {
    return Error::make(errc::kUnknownError, fmt::format("{}: line {}: {}: {}", name_,
                                                        s.getSourceLine(), s.getPath(), what));
  }

  // Scalars as text: ints in decimal, bools as true/false.
  Result<std::string> scalar_text(const libconfig::Setting& s) const {
    switch (s.getType()) {
      case libconfig::Setting::TypeInt:
        return std::to_string(static_cast<int>(s));
      case libconfig::Setting::TypeInt64:
        return std::to_string(static_cast<long long>(s));
      case libconfig::Setting::TypeBoolean:
        return std::string(static_cast<bool>(s) ? "true" : "false");
      case libconfig::Setting::TypeString:
        return std::string(static_cast<const char*>(s));
      case libconfig::Setting::TypeFloat:
        return std::unexpected(error(s, "a number with a fraction is not accepted here"));
      default:
        return std::unexpected(error(s, "expected a single value, not a group or list"));
    }
  }

  // Helpers return the first error, if any (not Result<void>, so that the
  // fuzz build's minimal std::expected suffices).
  std::optional<Error> read_variables(const libconfig::Setting& group, VarModule module,
                                      ConfigFile& out) const {
    if (!group.isGroup()) return error(group, "expected a group { ... }");
    for (int i = 0; i < group.getLength(); ++i) {
      const libconfig::Setting& s = group[i];
      std::string full = std::string(module_prefix(module)) + s.getName();
      const VariableSpec* spec = find_variable(full);
      if (!spec) {
        // ProxySQL files carry many variables this proxy has no use for
        // (its genai_variables include llm_*, vector_*, rag_*, mcp_*...):
        // each is named in a warning, and the start goes on.
        if (module == VarModule::kGenai) {
          out.warnings.push_back(
              fmt::format("{}: line {}: {}: {} is not supported by genaiproxy, ignored", name_,
                          s.getSourceLine(), s.getPath(), full));
          continue;
        }
        out.warnings.push_back(fmt::format("{}: line {}: {}: unknown variable, ignored", name_,
                                           s.getSourceLine(), s.getPath()));
        continue;
      }
      if (spec->read_only) {
        out.warnings.push_back(fmt::format("{}: line {}: {}: read-only variable, ignored", name_,
                                           s.getSourceLine(), s.getPath()));
        continue;
      }
      auto text = scalar_text(s);
      if (!text) return text.error();
      auto valid = validate_value(*spec, *text);
      if (!valid) {
        bool hide = spec->type == VarType::kSecret || spec->type == VarType::kCredentials;
        std::string shown = hide ? display_value(*spec, *text) : *text;
        return error(s,
                     fmt::format("'{}' is not valid: expected {}", shown, describe_allowed(*spec)));
      }
      out.variables[spec->name] = std::move(*valid);
    }
    return std::nullopt;
  }

  Result<TableRow> read_row(const libconfig::Setting& group,
                            const std::vector<Column>& rules) const {
    if (!group.isGroup()) return std::unexpected(error(group, "expected a group { ... }"));
    TableRow row;
    for (int i = 0; i < group.getLength(); ++i) {
      const libconfig::Setting& s = group[i];
      std::string key = s.getName();
      auto rule =
          std::find_if(rules.begin(), rules.end(), [&](const Column& r) { return names(r, key); });
      if (rule == rules.end()) {
        std::vector<std::string_view> accepted;
        for (auto& r : rules) {
          accepted.push_back(r.name);
          if (!r.alias.empty()) accepted.push_back(r.alias);
        }
        return std::unexpected(
            error(s, fmt::format("unknown key; accepted: {}", fmt::join(accepted, ", "))));
      }
      if (std::any_of(row.begin(), row.end(), [&](auto& c) { return c.first == rule->name; })) {
        return std::unexpected(error(s, fmt::format("{} given twice", rule->name)));
      }
      auto text = scalar_text(s);
      if (!text) return std::unexpected(text.error());
      if (rule->is_int) {
        auto n = parse_int(*text);
        if (!n && (*text == "true" || *text == "false")) n = *text == "true" ? 1 : 0;
        if (!n || *n < rule->min || *n > rule->max) {
          return std::unexpected(error(
              s, fmt::format("'{}' is not valid: expected an integer in {}..{}",
                             rule->name == "password" ? "********" : *text, rule->min, rule->max)));
        }
        row.emplace_back(std::string(rule->name), *n);
        continue;
      }
      if (!rule->choices.empty()) {
        auto it = std::find(rule->choices.begin(), rule->choices.end(), *text);
        if (it == rule->choices.end()) {
          return std::unexpected(error(s, fmt::format("'{}' is not valid: expected one of {}",
                                                      *text, fmt::join(rule->choices, ", "))));
        }
      }
      if (rule->required && text->empty()) return std::unexpected(error(s, "must not be empty"));
      row.emplace_back(std::string(rule->name), std::move(*text));
    }
    for (auto& r : rules) {
      if (!r.required) continue;
      if (std::none_of(row.begin(), row.end(), [&](auto& c) { return c.first == r.name; })) {
        return std::unexpected(
            error(group, fmt::format("missing {}", r.alias.empty() ? r.name : r.alias)));
      }
    }
    return row;
  }

  std::optional<Error> read_rows(const libconfig::Setting& list, const std::vector<Column>& rules,
                                 std::vector<TableRow>& out) const {
    if (!list.isList() && !list.isArray()) return error(list, "expected a list ( {...}, {...} )");
    for (int i = 0; i < list.getLength(); ++i) {
      auto row = read_row(list[i], rules);
      if (!row) return row.error();
      out.push_back(std::move(*row));
    }
    return std::nullopt;
  }

  Result<ConfigFile> read(const libconfig::Config& cfg) const {
    ConfigFile out;
    const libconfig::Setting& root = cfg.getRoot();
    for (int i = 0; i < root.getLength(); ++i) {
      const libconfig::Setting& s = root[i];
      std::string key = s.getName();
      std::optional<Error> r;
      if (key == "datadir") {
        if (s.getType() != libconfig::Setting::TypeString) {
          return std::unexpected(error(s, "expected a string"));
        }
        out.datadir = static_cast<const char*>(s);
      } else if (key == "admin_variables") {
        r = read_variables(s, VarModule::kAdmin, out);
      } else if (key == "mysql_variables") {
        r = read_variables(s, VarModule::kMysql, out);
      } else if (key == "genai_variables") {
        r = read_variables(s, VarModule::kGenai, out);
      } else if (key == "mysql_users") {
        r = read_rows(s, mysql_users_table(), out.users);
      } else if (key == "mysql_servers") {
        r = read_rows(s, mysql_servers_table(), out.servers);
      } else if (const RowTable* table = find_row_table(key); table && key.starts_with("genai_")) {
        r = read_rows(s, table->columns, out.model_tables[key]);
      } else {
        out.warnings.push_back(fmt::format("{}: line {}: {}: unknown section, ignored", name_,
                                           s.getSourceLine(), key));
      }
      if (r) return std::unexpected(std::move(*r));
    }
    return out;
  }

 private:
  std::string name_;
};

Error parse_error(const std::string& name, const libconfig::ParseException& e) {
  return Error::make(errc::kUnknownError,
                     fmt::format("{}: line {}: {}", name, e.getLine(), e.getError()));
}

// libconfig reports misuse by throwing; none is expected once the types are
// checked, but an exception must never leave the admin module.
Result<ConfigFile> read_checked(const libconfig::Config& cfg, const std::string& name) {
  try {
    return Reader(name).read(cfg);
  } catch (const libconfig::ConfigException& e) {
    return make_error(errc::kUnknownError, fmt::format("{}: {}", name, e.what()));
  }
}

}  // namespace

Result<ConfigFile> parse_config_text(const std::string& text, const std::string& name) {
  libconfig::Config cfg;
  try {
    cfg.readString(text);
  } catch (const libconfig::ParseException& e) {
    return std::unexpected(parse_error(name, e));
  }
  return read_checked(cfg, name);
}

Result<ConfigFile> read_config_file(const std::string& path) {
  libconfig::Config cfg;
  try {
    cfg.readFile(path.c_str());
  } catch (const libconfig::FileIOException&) {
    return make_error(errc::kUnknownError,
                      fmt::format("{}: cannot read the configuration file", path));
  } catch (const libconfig::ParseException& e) {
    return std::unexpected(parse_error(path, e));
  }
  return read_checked(cfg, path);
}

}  // namespace gp::admin
