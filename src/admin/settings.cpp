#include "admin/settings.h"

#include <string>

#include "fmt/format.h"

namespace gp::admin {

Result<VariableMap> validate_module(VarModule module, const VariableMap& values,
                                    std::vector<std::string>* unknown,
                                    std::vector<std::string>* replaced) {
  VariableMap out;
  for (auto& spec : all_variables()) {
    if (spec.module != module) continue;
    auto it = values.find(spec.name);
    if (spec.read_only || it == values.end()) {
      out[spec.name] = spec.default_value;
      continue;
    }
    auto valid = validate_value(spec, it->second);
    // Resolved here only at startup: elsewhere build_module reports it.
    if (valid && replaced && spec.type == VarType::kSecret) {
      if (auto resolved = resolve_secret(spec.name, *valid); !resolved) {
        valid = std::unexpected(resolved.error());
      }
    }
    if (!valid && replaced) {
      replaced->push_back(fmt::format("{}: {}; using the default '{}'", spec.name,
                                      valid.error().message,
                                      display_value(spec, spec.default_value)));
      out[spec.name] = spec.default_value;
      continue;
    }
    if (!valid) return std::unexpected(valid.error());
    out[spec.name] = std::move(*valid);
  }
  if (unknown) {
    for (auto& [name, _] : values) {
      if (!out.contains(name)) unknown->push_back(name);
    }
  }
  return out;
}

Result<void> build_module(VarModule module, const VariableMap& values, RuntimeConfig& config) {
  RuntimeConfig next = config;
  for (auto& spec : all_variables()) {
    if (spec.module != module) continue;
    auto assigned = assign(spec, values.at(spec.name), next);
    if (!assigned) return assigned;
  }
  config = std::move(next);
  return {};
}

VariableMap render_module(VarModule module, const RuntimeConfig& config,
                          const VariableMap& configured) {
  VariableMap out;
  for (auto& spec : all_variables()) {
    if (spec.module != module) continue;
    auto it = configured.find(spec.name);
    out[spec.name] = spec.type == VarType::kSecret && it != configured.end()
                         ? it->second
                         : value_in(spec, config);
  }
  return out;
}

}  // namespace gp::admin
