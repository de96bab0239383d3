// Typed settings from validated variables, and back. Pure except for reading
// the environment when a secret is given as env:NAME.
#pragma once

#include "admin/variables.h"
#include "core/config.h"
#include "core/error.h"

namespace gp::admin {

// Validates every variable of `module` in `values` (full names), fills the
// defaults of those missing and drops names that no variable has (they are
// reported in `unknown` when given). Read-only variables take their built-in
// value. The first invalid value is the error, unless `replaced` is given:
// then an invalid value (or an env:NAME secret whose variable is unset) takes
// the default, and `replaced` gets one line per such variable naming it, the
// value (masked when secret), the reason and the default used.
Result<VariableMap> validate_module(VarModule module, const VariableMap& values,
                                    std::vector<std::string>* unknown = nullptr,
                                    std::vector<std::string>* replaced = nullptr);

// Sets the settings of `module` in `config` from `values`, which must come
// from validate_module. Secrets given as env:NAME are resolved here; an unset
// variable is an error, and then `config` is unchanged.
Result<void> build_module(VarModule module, const VariableMap& values, RuntimeConfig& config);

// The variables of `module` in `config`, as text. Secrets are taken from
// `configured` (the text that was loaded, e.g. env:NAME) rather than the
// resolved value when it has them.
VariableMap render_module(VarModule module, const RuntimeConfig& config,
                          const VariableMap& configured = {});

}  // namespace gp::admin
