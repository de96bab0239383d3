#include "genai/parameters.h"

#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>

#include "genai/errors.h"
#include "sql/sql.h"

namespace gp::genai {
namespace {

using sql::TokenKind;

// The text after "GENAI:" (is_genai_statement() has been checked).
std::string_view after_prefix(std::string_view statement) {
  size_t colon = statement.find(':');
  return colon == std::string_view::npos ? std::string_view{} : statement.substr(colon + 1);
}

// A JSON string for `value`; JSON text must be UTF-8.
Result<std::string> json_string(std::string_view value, std::string_view what) {
  try {
    return nlohmann::json(std::string(value)).dump();
  } catch (const nlohmann::json::exception&) {
    return std::unexpected(invalid_request(std::string(what) + " is not valid UTF-8 text"));
  }
}

// Single-quoted (or introduced: _utf8mb4'x', N'x') strings are SQL literals;
// double-quoted ones are JSON strings.
bool is_sql_literal(const sql::Token& token) {
  return token.kind == TokenKind::kString && token.text.find('\'') != std::string_view::npos &&
         token.text.find('\'') < token.text.find('"');
}

bool is_insignificant(const sql::Token& token) {
  return token.kind == TokenKind::kWhitespace || token.kind == TokenKind::kComment;
}

bool is_semicolon(const sql::Token& token) {
  return token.kind == TokenKind::kPunct && token.text == ";";
}

Error unterminated(size_t offset) {
  return invalid_request("unterminated string literal at byte " + std::to_string(offset) +
                         " of the request");
}

}  // namespace

Result<GenaiTemplate> parse_genai_template(std::string_view statement, bool no_backslash_escapes) {
  std::string_view body = after_prefix(statement);
  // JSON's own strings always use backslash escapes, so the text is read
  // with them; only SQL literals follow the session's mode.
  auto tokens = sql::tokenize(body);
  sql::LexOptions literal_options;
  literal_options.no_backslash_escapes = no_backslash_escapes;

  // The whole JSON as one literal or one parameter (with an optional ';').
  std::vector<const sql::Token*> significant;
  for (const auto& t : tokens) {
    if (!is_insignificant(t)) significant.push_back(&t);
  }
  if (!significant.empty() && is_semicolon(*significant.back())) significant.pop_back();
  GenaiTemplate tmpl;
  if (significant.size() == 1 && significant[0]->kind == TokenKind::kParameter) {
    tmpl.whole_json_parameter = true;
    tmpl.pieces = {"", ""};
    return tmpl;
  }
  if (significant.size() == 1 && is_sql_literal(*significant[0])) {
    tmpl.pieces = {sql::string_value(*significant[0], literal_options)};
    return tmpl;
  }

  std::string piece;
  piece.reserve(body.size());
  for (const auto& t : tokens) {
    if (t.kind == TokenKind::kUnterminated) return std::unexpected(unterminated(t.offset));
    if (t.kind == TokenKind::kParameter) {
      tmpl.pieces.push_back(std::move(piece));
      piece.clear();
    } else if (is_sql_literal(t)) {
      auto json = json_string(sql::string_value(t, literal_options),
                              "the string literal at byte " + std::to_string(t.offset));
      if (!json) return std::unexpected(json.error());
      piece += *json;
    } else {
      piece.append(t.text);
    }
  }
  tmpl.pieces.push_back(std::move(piece));
  return tmpl;
}

Result<std::string> genai_json(std::string_view statement, bool no_backslash_escapes) {
  auto tmpl = parse_genai_template(statement, no_backslash_escapes);
  if (!tmpl) return std::unexpected(tmpl.error());
  if (tmpl->parameter_count() > 0) {
    return std::unexpected(
        invalid_request("'?' is a parameter: it needs a prepared statement (or a driver that "
                        "replaces it with a value)"));
  }
  return std::move(tmpl->pieces[0]);
}

Result<std::string> bind_genai_template(const GenaiTemplate& tmpl,
                                        std::span<const mysql::ParamValue> params) {
  using Kind = mysql::ParamValue::Kind;
  if (params.size() != tmpl.parameter_count()) {
    return std::unexpected(
        invalid_request("the statement has " + std::to_string(tmpl.parameter_count()) +
                        " parameters, " + std::to_string(params.size()) + " were bound"));
  }
  std::string out = "GENAI: ";
  if (tmpl.whole_json_parameter) {
    const auto& p = params[0];
    if (p.kind != Kind::kString && p.kind != Kind::kBytes) {
      return std::unexpected(invalid_request(
          "in GENAI: ? the parameter is the request's JSON text: bind a string, not " +
          std::string(p.kind == Kind::kNull ? "NULL" : "a number")));
    }
    out += p.text;
    return out;
  }
  for (size_t i = 0; i < params.size(); ++i) {
    out += tmpl.pieces[i];
    const auto& p = params[i];
    std::string what = "parameter " + std::to_string(i + 1);
    switch (p.kind) {
      case Kind::kNull:
        out += "null";
        break;
      case Kind::kSigned:
        out += std::to_string(p.i);
        break;
      case Kind::kUnsigned:
        out += std::to_string(p.u);
        break;
      case Kind::kDouble:
        if (!std::isfinite(p.d)) {
          return std::unexpected(invalid_request(what + " is not a finite number"));
        }
        out += nlohmann::json(p.d).dump();
        break;
      case Kind::kString:
      case Kind::kBytes:
      case Kind::kTemporal: {
        auto json = json_string(p.text, what);
        if (!json) return std::unexpected(json.error());
        out += *json;
        break;
      }
    }
  }
  out += tmpl.pieces.back();
  return out;
}

std::vector<mysql::Column> template_columns(const GenaiTemplate& tmpl) {
  if (tmpl.whole_json_parameter) return {};
  // Parameters stand in as null: only literal keys decide the columns.
  std::string json = tmpl.pieces[0];
  for (size_t i = 1; i < tmpl.pieces.size(); ++i) json += "null" + tmpl.pieces[i];
  while (!json.empty() &&
         (json.back() == ';' || std::isspace(static_cast<unsigned char>(json.back()))))
    json.pop_back();
  auto request = nlohmann::json::parse(json, nullptr, false);
  if (!request.is_object() || request.contains("document_from_sql")) return {};
  auto type = request.find("type");
  if (type == request.end() || !type->is_string()) return {};
  if (*type == "embed") {
    auto format = request.find("format");
    if (format == request.end()) return {mysql::Column::text("embedding")};
    if (*format == "csv" || *format == "json") return {mysql::Column::text("embedding")};
    if (*format == "binary") return {mysql::Column::blob("embedding")};
    return {};
  }
  if (*type != "rerank") return {};
  std::vector<mysql::Column> columns{mysql::Column::bigint("index"), mysql::Column::dbl("score")};
  auto count = request.find("columns");
  if (count == request.end() || *count == 3) {
    columns.push_back(mysql::Column::text("document"));
  } else if (*count != 2) {
    return {};
  }
  return columns;
}

}  // namespace gp::genai
