// Typed settings from validated variables, and back. Pure except for reading
// the environment when an API key is given as env:NAME.
#pragma once

#include "admin/variables.h"
#include "core/config.h"
#include "core/error.h"

namespace gp::admin {

// Validates every variable of `module` in `values` (full names), fills the
// defaults of those missing and drops names that no variable has (they are
// reported in `unknown` when given). Read-only variables take their built-in
// value. The first invalid value is the error.
Result<VariableMap> validate_module(VarModule module, const VariableMap& values,
                                    std::vector<std::string>* unknown = nullptr);

// `values` must come from validate_module. API keys given as env:NAME are
// resolved here; an unset variable is an error.
Result<GenaiSettings> build_genai(const VariableMap& values);
MysqlSettings build_mysql(const VariableMap& values);
AdminSettings build_admin(const VariableMap& values);

// The variables of published settings, as text. API keys are taken from
// `configured` (the text that was loaded, e.g. env:NAME) rather than the
// resolved secret.
VariableMap render_genai(const GenaiSettings& s, const VariableMap& configured);
VariableMap render_mysql(const MysqlSettings& s);
VariableMap render_admin(const AdminSettings& s);

}  // namespace gp::admin
