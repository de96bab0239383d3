// The CHECKSUM of a layer: a hash of its rows in a fixed order. Pure.
#pragma once

#include <string>
#include <vector>

#include "admin/runtime_rows.h"

namespace gp::admin {

// "0x" and 16 upper-case hex digits: the first 64 bits of SHA-256 over the
// rows, each value length-prefixed (NULL distinct from ''), so any change of
// any value, row count or order changes it.
std::string checksum_rows(const std::vector<TextRow>& rows);

}  // namespace gp::admin
