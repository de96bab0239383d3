// Listener addresses: "host:port" lists separated by ';' or ',' (ProxySQL's
// mysql-interfaces format). Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace gp {

struct ListenAddress {
  std::string host;
  uint16_t port = 0;
};

Result<std::vector<ListenAddress>> parse_listen_addresses(std::string_view spec);

}  // namespace gp
