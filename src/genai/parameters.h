// The SQL forms of a GENAI: statement's JSON (SPEC-GENAI §1): the whole JSON
// as one SQL string literal (`GENAI: '{...}'`), SQL string literals in value
// positions (`"query":'red fruit'`), and `?` parameters in either place for
// prepared statements. Drivers that interpolate parameters on the client side
// produce the literal forms; server-side prepares bind the `?`. Pure.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "mysql/prepared.h"

namespace gp::genai {

// A GENAI: statement split at its `?` parameters, with every SQL string
// literal already turned into a JSON string.
struct GenaiTemplate {
  // JSON text around the parameters: pieces.size() == parameters + 1.
  std::vector<std::string> pieces;
  // `GENAI: ?`: the one parameter is the whole JSON text.
  bool whole_json_parameter = false;

  size_t parameter_count() const { return pieces.size() - 1; }
};

// Reads the text after `GENAI:` (the prefix must be there). String literals
// follow MySQL's quoting; `no_backslash_escapes` is the session's
// NO_BACKSLASH_ESCAPES mode. Double-quoted strings are JSON strings and keep
// JSON's escapes. A `?` inside a string is text, not a parameter.
Result<GenaiTemplate> parse_genai_template(std::string_view statement,
                                           bool no_backslash_escapes = false);

// The JSON text of a template without parameters (a text query).
Result<std::string> genai_json(std::string_view statement, bool no_backslash_escapes = false);

// The whole statement ("GENAI: {...}") with each parameter bound: a string
// becomes a JSON string, a number a JSON number, NULL null; for `GENAI: ?`
// the one bound string is the JSON itself. Bytes (BLOB) bind as strings.
Result<std::string> bind_genai_template(const GenaiTemplate& tmpl,
                                        std::span<const mysql::ParamValue> params);

// The columns an execution will answer, as far as the template tells them
// (for COM_STMT_PREPARE's answer); empty when they depend on a parameter or
// on document_from_sql.
std::vector<mysql::Column> template_columns(const GenaiTemplate& tmpl);

}  // namespace gp::genai
