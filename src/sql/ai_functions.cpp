// Finding GENAI_EMBED, GENAI_EMBED_BINARY and GENAI_RERANK in a statement,
// on the significant tokens of the one tokenizer (so never inside strings,
// quoted identifiers or comments, and inside executable comments).
#include <algorithm>
#include <charconv>

#include "sql/sql.h"

namespace gp::sql {
namespace {

using Tokens = std::vector<Token>;

bool is_punct(const Token& t, std::string_view p) {
  return t.kind == TokenKind::kPunct && t.text == p;
}

std::optional<AiFunction> function_named(std::string_view name) {
  if (iequals(name, "genai_embed")) return AiFunction::kEmbed;
  if (iequals(name, "genai_embed_binary")) return AiFunction::kEmbedBinary;
  if (iequals(name, "genai_rerank")) return AiFunction::kRerank;
  return std::nullopt;
}

Error invalid(std::string message) {
  return Error::make(errc::kGenaiInvalidRequest, std::move(message));
}

std::string where(const AiCall& call) {
  return std::string(ai_function_name(call.function)) + " at byte " + std::to_string(call.begin);
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// X'0A' or 0x0A as bytes; 0x with an odd count of digits has an implied
// leading zero, as in MySQL.
std::optional<std::string> hex_bytes(std::string_view text) {
  std::string_view digits = text[0] == '0' ? text.substr(2) : text.substr(2, text.size() - 3);
  if (digits.size() % 2 != 0) {
    if (text[0] != '0') return std::nullopt;
    return hex_bytes("0x0" + std::string(digits));
  }
  std::string out;
  for (size_t i = 0; i < digits.size(); i += 2) {
    int hi = hex_digit(digits[i]), lo = hex_digit(digits[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

std::string bit_bytes(std::string_view text) {
  std::string digits(text[0] == '0' ? text.substr(2) : text.substr(2, text.size() - 3));
  digits.insert(0, (8 - digits.size() % 8) % 8, '0');
  std::string out;
  for (size_t i = 0; i < digits.size(); i += 8) {
    unsigned value = 0;
    for (size_t k = i; k < i + 8; ++k) value = value * 2 + (digits[k] == '1' ? 1 : 0);
    out.push_back(static_cast<char>(value));
  }
  return out;
}

// The character set of an introducer (`_latin1'x'`), empty without one.
std::string_view introducer(const Token& t) {
  if (t.text.empty() || t.text[0] != '_') return {};
  size_t end = 1;
  while (end < t.text.size() && t.text[end] != '\'' && t.text[end] != '"' &&
         !(t.text[end] == ' ' || (t.text[end] >= '\t' && t.text[end] <= '\r'))) {
    ++end;
  }
  return t.text.substr(1, end - 1);
}

std::string latin1_to_utf8(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back(static_cast<char>(0xc0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3f)));
    }
  }
  return out;
}

struct Parser {
  std::string_view sql;
  LexOptions options;
  Tokens toks;
  AiStatement out;
  // For every call: the indices of its name and closing `)` in toks.
  std::vector<std::pair<size_t, size_t>> call_tokens;

  size_t end_of(size_t i) const { return toks[i].offset + toks[i].text.size(); }

  // The index of the `)` that closes the `(` at `open`, or npos.
  size_t closing(size_t open) const {
    int depth = 0;
    for (size_t i = open; i < toks.size(); ++i) {
      if (is_punct(toks[i], "(")) ++depth;
      if (is_punct(toks[i], ")") && --depth == 0) return i;
    }
    return std::string::npos;
  }

  Result<AiArgument> argument(const AiCall& call, size_t a, size_t b) {
    AiArgument arg;
    if (a == b) return std::unexpected(invalid(where(call) + ": an argument is empty"));
    arg.begin = toks[a].offset;
    arg.end = end_of(b - 1);
    const Token& first = toks[a];
    if (b - a == 1 && first.kind == TokenKind::kParameter) {
      arg.kind = AiArgument::Kind::kParameter;
      auto at = std::lower_bound(out.parameter_offsets.begin(), out.parameter_offsets.end(),
                                 first.offset);
      arg.parameter = static_cast<size_t>(at - out.parameter_offsets.begin());
      return arg;
    }
    if (b - a == 1 && is_word(first, "null")) return arg;
    if (b - a == 1 && first.kind == TokenKind::kHexLiteral) {
      arg.value = hex_bytes(first.text);
      if (!arg.value) return std::unexpected(invalid(where(call) + ": malformed hex literal"));
      return arg;
    }
    if (b - a == 1 && first.kind == TokenKind::kBitLiteral) {
      arg.value = bit_bytes(first.text);
      return arg;
    }
    size_t number_at = (is_punct(first, "-") || is_punct(first, "+")) ? a + 1 : a;
    if (number_at + 1 == b && toks[number_at].kind == TokenKind::kNumber) {
      arg.value = std::string(sql.substr(arg.begin, arg.end - arg.begin));
      if (arg.value->front() == '+') arg.value->erase(0, 1);
      return arg;
    }
    bool all_strings = true;
    for (size_t i = a; i < b; ++i) all_strings = all_strings && toks[i].kind == TokenKind::kString;
    if (!all_strings) {
      arg.kind = AiArgument::Kind::kRow;
      return arg;
    }
    std::string value;
    for (size_t i = a; i < b; ++i) {
      std::string piece = string_value(toks[i], options);
      std::string_view charset = introducer(toks[i]);
      if (iequals(charset, "latin1")) {
        piece = latin1_to_utf8(piece);
      } else if (!charset.empty() && !iequals(charset, "utf8mb4") && !iequals(charset, "utf8") &&
                 !iequals(charset, "utf8mb3") && !iequals(charset, "ascii") &&
                 !iequals(charset, "binary")) {
        return std::unexpected(invalid(where(call) + ": text in character set '" +
                                       std::string(charset) +
                                       "' is not supported; send it as utf8mb4"));
      }
      value += piece;
    }
    arg.value = std::move(value);
    return arg;
  }

  Result<void> find_calls() {
    for (size_t i = 0; i < toks.size(); ++i) {
      if (toks[i].kind == TokenKind::kParameter) out.parameter_offsets.push_back(toks[i].offset);
    }
    out.parameters = out.parameter_offsets.size();
    for (size_t i = 0; i + 1 < toks.size(); ++i) {
      if (toks[i].kind != TokenKind::kWord || !is_punct(toks[i + 1], "(")) continue;
      auto function = function_named(toks[i].text);
      if (!function) continue;
      // db.genai_embed(...) is a stored function the application defined.
      if (i > 0 && is_punct(toks[i - 1], ".")) continue;
      AiCall call;
      call.function = *function;
      call.begin = toks[i].offset;
      size_t close = closing(i + 1);
      if (close == std::string::npos) {
        return std::unexpected(invalid(where(call) + ": the call has no closing ')'"));
      }
      call.end = end_of(close);
      for (size_t k = i + 2; k + 1 < close; ++k) {
        if (toks[k].kind == TokenKind::kWord && function_named(toks[k].text) &&
            is_punct(toks[k + 1], "(")) {
          return std::unexpected(invalid(
              where(call) + ": a GENAI function cannot be an argument of another GENAI function"));
        }
      }
      std::vector<std::pair<size_t, size_t>> ranges;
      size_t start = i + 2;
      int depth = 0;
      for (size_t k = i + 2; k < close; ++k) {
        if (is_punct(toks[k], "(")) ++depth;
        if (is_punct(toks[k], ")")) --depth;
        if (depth == 0 && is_punct(toks[k], ",")) {
          ranges.emplace_back(start, k);
          start = k + 1;
        }
      }
      if (start < close || !ranges.empty()) ranges.emplace_back(start, close);
      size_t texts = call.function == AiFunction::kRerank ? 2 : 1;
      if (ranges.size() != texts && ranges.size() != texts + 1) {
        std::string usage = call.function == AiFunction::kRerank ? "(query, document [, model])"
                                                                 : "(text [, model])";
        return std::unexpected(invalid(where(call) + ": takes " + std::to_string(texts) + " or " +
                                       std::to_string(texts + 1) + " arguments " + usage +
                                       ", not " + std::to_string(ranges.size())));
      }
      for (size_t k = 0; k < ranges.size(); ++k) {
        auto arg = argument(call, ranges[k].first, ranges[k].second);
        if (!arg) return std::unexpected(arg.error());
        if (k < texts) {
          call.arguments.push_back(std::move(*arg));
        } else if (arg->kind != AiArgument::Kind::kConstant || !arg->value) {
          return std::unexpected(
              invalid(where(call) + ": the model argument must be a string constant"));
        } else {
          call.model = std::move(arg->value);
        }
      }
      if (call.function == AiFunction::kRerank &&
          call.arguments[0].kind == AiArgument::Kind::kRow) {
        return std::unexpected(invalid(
            where(call) + ": the query (first argument) must be a constant or a ? parameter"));
      }
      call_tokens.emplace_back(i, close);
      out.calls.push_back(std::move(call));
      i = close;
    }
    return {};
  }

  // The index of the call whose name token is at `i`, if any.
  std::optional<size_t> call_at(size_t i) const {
    for (size_t c = 0; c < call_tokens.size(); ++c) {
      if (call_tokens[c].first == i) return c;
    }
    return std::nullopt;
  }

  // After `WITH [RECURSIVE] name [(cols)] AS (...) [, ...]`: the index of
  // the statement's SELECT, or npos.
  size_t after_with(size_t i) const {
    if (i < toks.size() && is_word(toks[i], "recursive")) ++i;
    while (i < toks.size()) {
      ++i;  // the name
      if (i < toks.size() && is_punct(toks[i], "(")) {
        size_t close = closing(i);
        if (close == std::string::npos) return close;
        i = close + 1;
      }
      if (i >= toks.size() || !is_word(toks[i], "as")) return std::string::npos;
      ++i;
      if (i >= toks.size() || !is_punct(toks[i], "(")) return std::string::npos;
      size_t close = closing(i);
      if (close == std::string::npos) return close;
      i = close + 1;
      if (i < toks.size() && is_punct(toks[i], ",")) {
        ++i;
        continue;
      }
      return i < toks.size() && is_word(toks[i], "select") ? i : std::string::npos;
    }
    return std::string::npos;
  }

  static bool ends_select_list(const Token& t) {
    for (std::string_view k :
         {"from", "where", "group", "having", "order", "limit", "into", "union", "except",
          "intersect", "window", "for", "lock", "procedure"}) {
      if (is_word(t, k)) return true;
    }
    return false;
  }

  static bool is_modifier(const Token& t) {
    for (std::string_view k : {"all", "distinct", "distinctrow", "high_priority", "straight_join",
                               "sql_small_result", "sql_big_result", "sql_buffer_result",
                               "sql_no_cache", "sql_cache", "sql_calc_found_rows"}) {
      if (is_word(t, k)) return true;
    }
    return false;
  }

  bool is_literal(size_t a, size_t b, AiLocalItem& item) const {
    size_t n = b - a;
    if (n == 1 && is_word(toks[a], "null")) return true;
    size_t number_at = (is_punct(toks[a], "-") || is_punct(toks[a], "+")) ? a + 1 : a;
    if (number_at + 1 == b && toks[number_at].kind == TokenKind::kNumber) {
      item.value = std::string(sql.substr(toks[a].offset, end_of(b - 1) - toks[a].offset));
      item.number = true;
      return true;
    }
    std::string value;
    for (size_t i = a; i < b; ++i) {
      if (toks[i].kind != TokenKind::kString) return false;
      value += string_value(toks[i], options);
    }
    item.value = std::move(value);
    return n > 0;
  }

  // How many tokens of [a, b) form the item's expression, and its alias
  // (`expr AS name`, `expr AS 'name'`, or `expr name` after a literal or `)`).
  size_t split_alias(size_t a, size_t b, std::optional<std::string>& alias) const {
    auto name_token = [](const Token& t) {
      return t.kind == TokenKind::kWord || t.kind == TokenKind::kQuotedIdentifier;
    };
    if (b - a >= 3 && is_word(toks[b - 2], "as") &&
        (name_token(toks[b - 1]) || toks[b - 1].kind == TokenKind::kString)) {
      alias = toks[b - 1].kind == TokenKind::kString ? string_value(toks[b - 1], options)
                                                     : identifier_value(toks[b - 1]);
      return b - 2 - a;
    }
    if (b - a >= 2 && name_token(toks[b - 1])) {
      const Token& before = toks[b - 2];
      if (before.kind == TokenKind::kString || before.kind == TokenKind::kNumber ||
          before.kind == TokenKind::kHexLiteral || is_punct(before, ")")) {
        alias = identifier_value(toks[b - 1]);
        return b - 1 - a;
      }
    }
    return b - a;
  }

  Result<void> select_list(size_t select) {
    size_t i = select + 1;
    while (i < toks.size() && is_modifier(toks[i])) ++i;
    std::vector<std::pair<size_t, size_t>> items;
    size_t start = i;
    int depth = 0;
    size_t end = i;
    for (; end < toks.size(); ++end) {
      const Token& t = toks[end];
      if (is_punct(t, "(")) ++depth;
      if (is_punct(t, ")")) {
        if (depth == 0) break;
        --depth;
      }
      if (depth > 0) continue;
      if (ends_select_list(t)) break;
      if (is_punct(t, ",")) {
        items.emplace_back(start, end);
        start = end + 1;
      }
    }
    items.emplace_back(start, end);
    std::vector<bool> star(items.size(), false);
    for (size_t k = 0; k < items.size(); ++k) {
      auto [a, b] = items[k];
      star[k] = b > a && is_punct(toks[b - 1], "*") && (b - a == 1 || is_punct(toks[b - 2], "."));
    }
    bool local = end == toks.size() && !toks.empty();
    std::vector<AiLocalItem> local_items;
    for (size_t k = 0; k < items.size(); ++k) {
      auto [a, b] = items[k];
      std::optional<std::string> alias;
      size_t expr = a < b ? split_alias(a, b, alias) : 0;
      auto call_index = a < b ? call_at(a) : std::nullopt;
      bool whole_call = call_index && call_tokens[*call_index].second == a + expr - 1;
      AiLocalItem local_item;
      if (whole_call) {
        AiCall& call = out.calls[*call_index];
        call.item = true;
        call.item_begin = toks[a].offset;
        call.item_end = end_of(b - 1);
        call.column_name =
            alias ? *alias : std::string(sql.substr(call.begin, call.end - call.begin));
        bool star_before = std::find(star.begin(), star.begin() + k, true) != star.begin() + k;
        bool star_after = std::find(star.begin() + k + 1, star.end(), true) != star.end();
        if (star_before && star_after && call.row()) {
          return std::unexpected(invalid(where(call) +
                                         ": cannot tell its result column between two '*' items; "
                                         "name the columns instead"));
        }
        call.column_from_end = star_before;
        call.column = star_before ? items.size() - 1 - k : k;
        local_item.call = *call_index;
        local_item.column_name = call.column_name;
        if (call.row()) local = false;
      } else if (local && a < b && is_literal(a, a + expr, local_item)) {
        local_item.column_name =
            alias ? *alias
                  : (local_item.value && !local_item.number
                         ? *local_item.value
                         : std::string(
                               sql.substr(toks[a].offset, end_of(a + expr - 1) - toks[a].offset)));
      } else {
        local = false;
      }
      if (!whole_call && !alias && a < b) {
        size_t begin = toks[a].offset, end = end_of(b - 1);
        for (const auto& call : out.calls) {
          if (call.begin >= begin && call.end <= end) {
            out.unaliased_items.emplace_back(begin, end);
            break;
          }
        }
      }
      local_items.push_back(std::move(local_item));
    }
    if (local) out.local = std::move(local_items);
    return order_by(end);
  }

  // The last ORDER BY at depth 0, when it sorts by a row call's item.
  Result<void> order_by(size_t from) {
    size_t at = std::string::npos;
    int depth = 0;
    for (size_t i = from; i + 1 < toks.size(); ++i) {
      if (is_punct(toks[i], "(")) ++depth;
      if (is_punct(toks[i], ")")) --depth;
      if (depth == 0 && is_word(toks[i], "order") && is_word(toks[i + 1], "by")) at = i;
    }
    if (at == std::string::npos || at + 2 >= toks.size()) return {};
    const Token& key = toks[at + 2];
    std::optional<size_t> call;
    for (size_t c = 0; c < out.calls.size(); ++c) {
      const AiCall& k = out.calls[c];
      if (!k.item || !k.row()) continue;
      if ((key.kind == TokenKind::kWord || key.kind == TokenKind::kQuotedIdentifier) &&
          iequals(identifier_value(key), k.column_name)) {
        call = c;
      }
      if (key.kind == TokenKind::kNumber && !k.column_from_end &&
          key.text == std::to_string(k.column + 1)) {
        call = c;
      }
    }
    if (!call) return {};
    AiOrder order;
    order.call = *call;
    order.begin = toks[at].offset;
    size_t i = at + 3;
    if (i < toks.size() && (is_word(toks[i], "asc") || is_word(toks[i], "desc"))) {
      order.descending = is_word(toks[i], "desc");
      ++i;
    }
    auto number = [&](size_t k) -> std::optional<uint64_t> {
      if (k >= toks.size() || toks[k].kind != TokenKind::kNumber) return std::nullopt;
      uint64_t v = 0;
      auto [p, ec] =
          std::from_chars(toks[k].text.data(), toks[k].text.data() + toks[k].text.size(), v);
      if (ec != std::errc() || p != toks[k].text.data() + toks[k].text.size()) return std::nullopt;
      return v;
    };
    bool ok = true;
    if (i < toks.size() && is_word(toks[i], "limit")) {
      auto first = number(i + 1);
      ok = first.has_value();
      i += 2;
      if (ok && i < toks.size() && is_punct(toks[i], ",")) {
        auto second = number(i + 1);
        ok = second.has_value();
        if (ok) {
          order.offset = *first;
          order.limit = *second;
        }
        i += 2;
      } else if (ok && i < toks.size() && is_word(toks[i], "offset")) {
        auto second = number(i + 1);
        ok = second.has_value();
        if (ok) {
          order.limit = *first;
          order.offset = *second;
        }
        i += 2;
      } else if (ok) {
        order.limit = *first;
      }
    }
    if (!ok || i < toks.size()) {
      return std::unexpected(invalid(where(out.calls[*call]) +
                                     ": ordering by a GENAI column must be the statement's last "
                                     "clause, in the form ORDER BY " +
                                     out.calls[*call].column_name +
                                     " [ASC|DESC] [LIMIT n [OFFSET m] | LIMIT m, n]"));
    }
    out.order = order;
    return {};
  }

  Result<void> placement() {
    size_t select = std::string::npos;
    if (!toks.empty() && is_word(toks[0], "select")) select = 0;
    if (!toks.empty() && is_word(toks[0], "with")) select = after_with(1);
    if (select != std::string::npos) {
      if (auto listed = select_list(select); !listed) return listed;
    }
    bool writes = !toks.empty() && (is_word(toks[0], "update") || is_word(toks[0], "insert") ||
                                    is_word(toks[0], "replace"));
    for (const AiCall& call : out.calls) {
      if (!call.row() || call.item) continue;
      std::string message =
          where(call) +
          ": a column or expression argument is allowed only in an item of the top-level SELECT "
          "list, where the proxy computes it on the rows it receives; elsewhere the arguments must "
          "be constants or ? parameters";
      if (writes) {
        message +=
            ". To fill a column from another column, use an embedding job (genai_jobs, "
            "docs/JOBS.md)";
      }
      return std::unexpected(invalid(std::move(message)));
    }
    return {};
  }
};

}  // namespace

std::string_view ai_function_name(AiFunction function) {
  switch (function) {
    case AiFunction::kEmbed:
      return "GENAI_EMBED";
    case AiFunction::kEmbedBinary:
      return "GENAI_EMBED_BINARY";
    case AiFunction::kRerank:
      return "GENAI_RERANK";
  }
  return "GENAI";
}

bool mentions_ai_functions(std::string_view sql) {
  for (size_t at = sql.find('_', 5); at != std::string_view::npos; at = sql.find('_', at + 1)) {
    if (iequals(sql.substr(at - 5, 5), "genai")) return true;
  }
  return false;
}

bool AiCall::row() const {
  for (const auto& a : arguments) {
    if (a.kind == AiArgument::Kind::kRow) return true;
  }
  return false;
}

bool AiStatement::has_row_calls() const {
  for (const auto& c : calls) {
    if (c.row()) return true;
  }
  return false;
}

Result<AiStatement> find_ai_functions(std::string_view sql, LexOptions options, bool shape_only) {
  Parser p{sql, options, significant_tokens(sql, options), {}, {}};
  // A statement may end with `;` (one statement sent alone).
  while (!p.toks.empty() && is_punct(p.toks.back(), ";")) p.toks.pop_back();
  if (auto found = p.find_calls(); !found) return std::unexpected(found.error());
  if (p.out.calls.empty() && !shape_only) return std::move(p.out);
  if (auto placed = p.placement(); !placed) return std::unexpected(placed.error());
  return std::move(p.out);
}

std::string double_literal(double value) {
  char buf[40];
  auto res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  return std::string(buf, res.ptr);
}

std::string hex_literal(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out = "X'";
  out.reserve(bytes.size() * 2 + 3);
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  out.push_back('\'');
  return out;
}

std::string replace_ranges(std::string_view sql, const std::vector<Replacement>& replacements) {
  std::string out;
  size_t at = 0;
  for (const auto& r : replacements) {
    out.append(sql.substr(at, r.begin - at));
    out.append(r.text);
    at = r.end;
  }
  out.append(sql.substr(at));
  return out;
}

}  // namespace gp::sql
