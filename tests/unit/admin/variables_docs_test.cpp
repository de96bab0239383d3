// The docs against the variable registry: every Markdown table whose first
// column is "variable" and that lists genai-/mysql-/admin- variables must list
// each variable of those modules once, with the registry's default (and, for
// integers, its range). docs/ADMIN.md is the reference and lists them all.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "admin/variables.h"
#include "fmt/format.h"

#ifndef GP_SOURCE_DIR
#error "GP_SOURCE_DIR must name the source tree (tests/CMakeLists.txt defines it)"
#endif

namespace gp::admin {
namespace {

namespace fs = std::filesystem;

const fs::path kSourceDir{GP_SOURCE_DIR};

std::string trim(std::string s) {
  auto space = [](unsigned char c) { return std::isspace(c) != 0; };
  s.erase(s.begin(), std::find_if_not(s.begin(), s.end(), space));
  s.erase(std::find_if_not(s.rbegin(), s.rend(), space).base(), s.end());
  return s;
}

// The cells of a Markdown table row ("| a | b |" -> {"a", "b"}); empty for
// any other line.
std::vector<std::string> cells_of(const std::string& line) {
  std::string row = trim(line);
  if (row.size() < 2 || row.front() != '|' || row.back() != '|') return {};
  std::vector<std::string> cells;
  std::string cell;
  for (char c : row.substr(1, row.size() - 2)) {
    if (c == '|') {
      cells.push_back(trim(cell));
      cell.clear();
    } else {
      cell += c;
    }
  }
  cells.push_back(trim(cell));
  return cells;
}

std::string unquoted(const std::string& cell) {
  if (cell.size() >= 2 && cell.front() == '`' && cell.back() == '`') {
    return cell.substr(1, cell.size() - 2);
  }
  return cell;
}

struct DocRow {
  int line;
  std::string name;
  std::string default_cell;
  std::string text;  // the whole row
};

struct DocTable {
  fs::path page;
  int line;
  std::vector<DocRow> rows;
};

// Tables headed "variable | default | ..." that name module variables.
std::vector<DocTable> variable_tables() {
  std::vector<fs::path> pages;
  for (const auto& entry : fs::directory_iterator(kSourceDir / "docs")) {
    if (entry.path().extension() == ".md") pages.push_back(entry.path());
  }
  pages.push_back(kSourceDir / "README.md");
  std::sort(pages.begin(), pages.end());
  std::vector<DocTable> tables;
  for (const auto& page : pages) {
    std::ifstream in(page);
    std::optional<DocTable> table;
    int number = 0;
    for (std::string line; std::getline(in, line);) {
      ++number;
      auto cells = cells_of(line);
      if (cells.empty()) {
        if (table && !table->rows.empty()) tables.push_back(std::move(*table));
        table.reset();
        continue;
      }
      if (!table) {
        std::string first = cells[0];
        std::transform(first.begin(), first.end(), first.begin(), ::tolower);
        if (first == "variable" && cells.size() >= 2) table = DocTable{page, number, {}};
        continue;
      }
      std::string name = unquoted(cells[0]);
      if (!module_of(name) || cells.size() < 2) continue;
      table->rows.push_back({number, name, cells[1], line});
    }
    if (table && !table->rows.empty()) tables.push_back(std::move(*table));
  }
  return tables;
}

// How the docs write a default: as text (backticks optional), "empty" for "".
// A read-only variable holds what the build says (admin-version: the
// release), which a page cannot spell out.
std::string documented_default(const VariableSpec& spec) {
  if (spec.read_only) return "the release";
  if (spec.default_value.empty()) return "empty";
  return spec.default_value;
}

// The row to paste when a variable is missing.
std::string suggested_row(const VariableSpec& spec) {
  std::string def = documented_default(spec);
  bool quote = spec.type != VarType::kInt && spec.type != VarType::kBool && !spec.read_only &&
               !spec.default_value.empty();
  return fmt::format("| `{}` | {} | {}: {} |", spec.name, quote ? "`" + def + "`" : def,
                     describe_allowed(spec), spec.help);
}

std::string where(const DocTable& table) {
  return fmt::format("{}:{}", fs::relative(table.page, kSourceDir).string(), table.line);
}

TEST(VariablesDocs, TablesAgreeWithTheRegistry) {
  auto tables = variable_tables();
  ASSERT_FALSE(tables.empty()) << "no variable table found under docs/";
  for (const auto& table : tables) {
    std::set<std::string> listed;
    std::set<VarModule> modules;
    for (const auto& row : table.rows) {
      const VariableSpec* spec = find_variable(row.name);
      std::string at =
          fmt::format("{}:{}", fs::relative(table.page, kSourceDir).string(), row.line);
      if (!spec || spec->name != row.name) {
        ADD_FAILURE() << at << ": " << row.name << " is not a variable (remove the row)";
        continue;
      }
      modules.insert(spec->module);
      EXPECT_TRUE(listed.insert(spec->name).second) << at << ": " << spec->name << " listed twice";
      EXPECT_EQ(unquoted(row.default_cell), documented_default(*spec))
          << at << ": default of " << spec->name;
      if (spec->type == VarType::kInt) {
        std::string range = fmt::format("{}..{}", spec->min, spec->max);
        EXPECT_NE(row.text.find(range), std::string::npos)
            << at << ": " << spec->name << " should give its range " << range;
      }
    }
    for (const auto& spec : all_variables()) {
      if (modules.contains(spec.module) && !listed.contains(spec.name)) {
        ADD_FAILURE() << where(table) << ": missing " << spec.name << ", e.g.\n"
                      << suggested_row(spec);
      }
    }
  }
}

TEST(VariablesDocs, AdminPageListsEveryVariable) {
  std::set<std::string> listed;
  for (const auto& table : variable_tables()) {
    if (table.page.filename() != "ADMIN.md") continue;
    for (const auto& row : table.rows) listed.insert(row.name);
  }
  for (const auto& spec : all_variables()) {
    EXPECT_TRUE(listed.contains(spec.name)) << "docs/ADMIN.md: missing " << spec.name << ", e.g.\n"
                                            << suggested_row(spec);
  }
}

}  // namespace
}  // namespace gp::admin
