// The four tables of named models (genai_models, genai_endpoints,
// genai_credentials, genai_model_grants): their rows checked and turned into
// the runtime structs, and back. Pure, except resolve_credentials, which
// reads the environment and files.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "admin/runtime_rows.h"
#include "core/config.h"
#include "core/error.h"

namespace gp::admin {

// The rows of each table, in its column order (columns.cpp).
struct ModelRows {
  std::vector<TextRow> credentials;
  std::vector<TextRow> models;
  std::vector<TextRow> endpoints;
  std::vector<TextRow> grants;

  std::vector<TextRow>& of(std::string_view table);
  const std::vector<TextRow>& of(std::string_view table) const;
  // The tables one after another, each behind a row holding its name, so
  // that a row moving between tables changes a checksum too.
  std::vector<TextRow> joined() const;
};

// What LOAD GENAI MODELS TO RUNTIME publishes; a credential's secret is still
// as configured (a literal, env:NAME or file:PATH).
struct ModelConfig {
  std::vector<GenaiModel> models;
  std::vector<GenaiModelEndpoint> endpoints;
  std::vector<GenaiCredential> credentials;
  std::vector<GenaiModelGrant> grants;
};

// Checks every row and the references between tables; the first problem is
// the error (1105), naming the table, the row's key and the column, never a
// secret. Rules: kind and format among their choices, integers in their
// column's range, at most one is_default per kind, a model's credential
// exists, an endpoint's uri is http://, https:// or lexical: and its model
// exists, a grant's model exists.
Result<ModelConfig> models_from_rows(const ModelRows& rows);

// The credentials with each secret resolved: env:NAME from the environment,
// file:PATH from the file (without trailing line breaks), a literal as it is.
// An unset variable or unreadable file is an error naming the credential
// and the reference.
Result<std::vector<GenaiCredential>> resolve_credentials(
    const std::vector<GenaiCredential>& configured);

// The rows of `config`'s model tables; `secret_text` maps a credential name
// to its secret as configured (what SAVE writes back instead of the resolved
// value).
ModelRows rows_from_models(const RuntimeConfig& config,
                           const std::map<std::string, std::string>& secret_text);

// A secret as admin statements may show it: "********" for a literal, a
// reference (env:NAME, file:PATH) or an empty secret as written.
std::string shown_secret(std::string_view secret);

}  // namespace gp::admin
