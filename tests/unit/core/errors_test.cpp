// The one error table (core/error.h) against MySQL's own SQLSTATEs, against
// the docs (docs/ERRORS.md is the table; every other page that gives a code
// with its SQLSTATE must agree), and against the sources (no SQLSTATE typed
// outside the table).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"

#ifndef GP_SOURCE_DIR
#error "GP_SOURCE_DIR must name the source tree (tests/CMakeLists.txt defines it)"
#endif

namespace gp {
namespace {

namespace fs = std::filesystem;

const fs::path kSourceDir{GP_SOURCE_DIR};

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

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

bool is_sqlstate(std::string_view s) {
  return s.size() == 5 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
         });
}

bool is_code(std::string_view s) {
  return s.size() == 4 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string table_row(const ErrorInfo& e) {
  return "| " + std::to_string(e.code) + " | " + std::string(e.sqlstate) + " | " +
         std::string(e.name) + " | " + std::string(e.meaning) + " |";
}

std::vector<fs::path> docs_pages() {
  std::vector<fs::path> pages;
  for (const auto& entry : fs::directory_iterator(kSourceDir / "docs")) {
    if (entry.path().extension() == ".md") pages.push_back(entry.path());
  }
  std::sort(pages.begin(), pages.end());
  return pages;
}

TEST(ErrorTable, OneRowPerCodeInOrder) {
  for (size_t i = 1; i < std::size(kErrorTable); ++i) {
    EXPECT_LT(kErrorTable[i - 1].code, kErrorTable[i].code) << kErrorTable[i].name;
  }
  for (const auto& e : kErrorTable) {
    EXPECT_TRUE(is_sqlstate(e.sqlstate)) << e.code;
    EXPECT_FALSE(e.meaning.empty()) << e.code;
    EXPECT_EQ(e.meaning.find('|'), std::string_view::npos) << e.code << ": breaks its docs row";
    const bool mysql = e.name.starts_with("ER_") || e.name.starts_with("CR_");
    const bool ours = e.name.starts_with("GP_") || e.name.starts_with("GENAI_");
    EXPECT_TRUE(mysql || ours) << e.code << " " << e.name;
    EXPECT_EQ(find_error(e.code), &e);
  }
  EXPECT_EQ(find_error(1), nullptr);
}

TEST(ErrorTable, ConstructorsTakeTheSqlstateFromTheTable) {
  for (const auto& e : kErrorTable) {
    Error made = Error::make(e.code, "message");
    EXPECT_EQ(made.code, e.code);
    EXPECT_EQ(made.sqlstate, e.sqlstate) << e.code;
    EXPECT_EQ(made.message, "message");
    auto failed = make_error(e.code, "m");
    EXPECT_EQ(failed.error().code, e.code);
    EXPECT_EQ(failed.error().sqlstate, e.sqlstate) << e.code;
  }
  EXPECT_EQ(Error{}.sqlstate, kGeneralSqlstate);
}

// The SQLSTATE MySQL (mysqld_error.h, errmsg.h) gives each MySQL code the
// proxy raises, and the GenAI codes as docs/GENAI.md first gave them: the
// table must not drift from what clients already know.
TEST(ErrorTable, MysqlCodesKeepMysqlsSqlstate) {
  const std::map<uint16_t, std::string_view> expected = {
      {1040, "08004"}, {1043, "08S01"}, {1045, "28000"}, {1047, "08S01"}, {1049, "42000"},
      {1053, "08S01"}, {1064, "42000"}, {1105, "HY000"}, {1115, "42000"}, {1142, "42000"},
      {1146, "42S02"}, {1148, "42000"}, {1153, "08S01"}, {1193, "HY000"}, {1229, "HY000"},
      {1231, "42000"}, {1232, "42000"}, {1235, "42000"}, {1238, "HY000"}, {1243, "HY000"},
      {1253, "42000"}, {1273, "HY000"}, {1621, "HY000"}, {1835, "HY000"}, {2013, "HY000"},
      {2027, "HY000"}, {3024, "HY000"}, {9001, "HY000"}, {9101, "42000"}, {9102, "HY000"},
      {9103, "HY000"}, {9104, "HY000"}, {9105, "HY000"}, {9106, "HY000"}, {9107, "HY000"},
      {9108, "HY000"}, {9109, "42000"}, {9110, "HY000"}, {9111, "22001"},
  };
  for (const auto& [code, sqlstate] : expected) {
    const ErrorInfo* e = find_error(code);
    ASSERT_NE(e, nullptr) << code;
    EXPECT_EQ(e->sqlstate, sqlstate) << code;
  }
  EXPECT_EQ(expected.size(), std::size(kErrorTable)) << "a new code needs its expected SQLSTATE";
}

// docs/ERRORS.md holds the table, row for row, in the table's order.
TEST(ErrorDocs, ErrorsPageIsTheTable) {
  std::vector<std::string> documented;
  for (const auto& line : lines_of(read_text(kSourceDir / "docs" / "ERRORS.md"))) {
    auto cells = cells_of(line);
    if (cells.size() == 4 && is_code(cells[0])) {
      documented.push_back("| " + cells[0] + " | " + cells[1] + " | " + cells[2] + " | " +
                           cells[3] + " |");
    }
  }
  std::vector<std::string> table;
  for (const auto& e : kErrorTable) table.push_back(table_row(e));
  for (size_t i = 0; i < std::max(table.size(), documented.size()); ++i) {
    EXPECT_EQ(i < documented.size() ? documented[i] : "(missing)",
              i < table.size() ? table[i] : "(not in core/error.h)")
        << "docs/ERRORS.md row " << i + 1;
  }
}

// Every place in docs/ that gives a code with its SQLSTATE — a table row
// "| 9101 | 42000 | ... |" or text such as "1193 (HY000)" — gives the
// table's SQLSTATE for a code the proxy raises.
TEST(ErrorDocs, EveryDocumentedSqlstateMatchesTheTable) {
  const std::regex inline_form(R"((^|[^0-9.])([0-9]{4}) \(([0-9A-Z]{5})\))");
  std::set<uint16_t> documented;
  for (const auto& page : docs_pages()) {
    const std::string name = page.filename().string();
    int number = 0;
    for (const auto& line : lines_of(read_text(page))) {
      ++number;
      std::vector<std::pair<std::string, std::string>> mentions;
      auto cells = cells_of(line);
      if (cells.size() >= 2 && is_code(cells[0]) && is_sqlstate(cells[1])) {
        mentions.emplace_back(cells[0], cells[1]);
      }
      for (std::sregex_iterator m(line.begin(), line.end(), inline_form), end; m != end; ++m) {
        mentions.emplace_back((*m)[2].str(), (*m)[3].str());
      }
      for (const auto& [code_text, sqlstate] : mentions) {
        const auto code = static_cast<uint16_t>(std::stoi(code_text));
        const ErrorInfo* e = find_error(code);
        if (!e) {
          ADD_FAILURE() << name << ":" << number << ": " << code
                        << " is not a code of core/error.h's table";
          continue;
        }
        EXPECT_EQ(sqlstate, e->sqlstate) << name << ":" << number << ": " << e->name;
        documented.insert(code);
      }
    }
  }
  for (const auto& e : kErrorTable) {
    EXPECT_TRUE(documented.contains(e.code)) << e.code << " " << e.name << " is in no docs table";
  }
}

// A SQLSTATE typed anywhere in src/ but the table is a second definition of
// a code's SQLSTATE (errors relayed from a server are parsed, not typed).
TEST(ErrorSources, NoSqlstateLiteralOutsideTheTable) {
  std::set<std::string> sqlstates;
  for (const auto& e : kErrorTable) sqlstates.insert("\"" + std::string(e.sqlstate) + "\"");
  const fs::path table = fs::path("src") / "core" / "error.h";
  for (const auto& entry : fs::recursive_directory_iterator(kSourceDir / "src")) {
    const auto ext = entry.path().extension();
    if (ext != ".h" && ext != ".cpp") continue;
    const fs::path relative = fs::relative(entry.path(), kSourceDir);
    if (relative == table) continue;
    int number = 0;
    for (const auto& line : lines_of(read_text(entry.path()))) {
      ++number;
      for (const auto& literal : sqlstates) {
        EXPECT_TRUE(line.find(literal) == std::string::npos)
            << relative.string() << ":" << number << ": " << literal
            << ": use make_error / Error::make with an errc code";
      }
    }
  }
}

}  // namespace
}  // namespace gp
