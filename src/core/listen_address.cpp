#include "core/listen_address.h"

#include <charconv>

namespace gp {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<std::vector<ListenAddress>> parse_listen_addresses(std::string_view spec) {
  std::vector<ListenAddress> out;
  size_t start = 0;
  while (start <= spec.size()) {
    size_t end = spec.find_first_of(";,", start);
    if (end == std::string_view::npos) end = spec.size();
    std::string_view item = trim(spec.substr(start, end - start));
    start = end + 1;
    if (item.empty()) continue;
    size_t colon = item.rfind(':');
    if (colon == std::string_view::npos) {
      return make_error(errc::kWrongValueForVar,
                        "listen address '" + std::string(item) + "' needs the form host:port");
    }
    std::string_view host = item.substr(0, colon);
    std::string_view port_text = item.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    unsigned port = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port == 0 ||
        port > 65535 || host.empty()) {
      return make_error(errc::kWrongValueForVar,
                        "listen address '" + std::string(item) + "' has an invalid host or port");
    }
    out.push_back({std::string(host), static_cast<uint16_t>(port)});
  }
  if (out.empty()) {
    return make_error(errc::kWrongValueForVar, "no listen address given");
  }
  return out;
}

}  // namespace gp
