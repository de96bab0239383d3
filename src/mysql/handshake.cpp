#include "mysql/handshake.h"

#include <algorithm>

#include "mysql/packet.h"
#include "mysql/protocol.h"

namespace gp::mysql {

namespace {

constexpr size_t kAuthDataPart1 = 8;
constexpr size_t kMinAuthDataPart2 = 13;   // includes the trailing NUL
constexpr size_t kResponseFixedPart = 32;  // caps, max packet, charset, 23 filler bytes

std::unexpected<Error> bad_handshake(std::string_view what) {
  return make_error(errc::kHandshakeError, "Bad handshake: " + std::string(what));
}

std::unexpected<Error> malformed(std::string_view what) {
  return make_error(errc::kMalformedPacket, "Malformed packet: " + std::string(what));
}

// Some clients and servers end the packet with a last string that lacks its
// NUL terminator; accept the rest of the packet as that string.
std::string_view null_str_or_rest(PayloadReader& r) {
  if (auto s = r.null_str()) return *s;
  return r.rest();
}

}  // namespace

std::string encode_handshake_v10(const HandshakeV10& hs) {
  std::string out;
  put_int1(out, 10);
  put_null_str(out, hs.server_version);
  put_int4(out, hs.connection_id);
  std::string part1 = hs.auth_data.substr(0, std::min(kAuthDataPart1, hs.auth_data.size()));
  part1.resize(kAuthDataPart1, '\0');
  out.append(part1);
  put_int1(out, 0);
  put_int2(out, static_cast<uint16_t>(hs.capabilities & 0xffff));
  put_int1(out, hs.charset);
  put_int2(out, hs.status_flags);
  put_int2(out, static_cast<uint16_t>(hs.capabilities >> 16));
  size_t auth_len = std::max(hs.auth_data.size() + 1, kAuthDataPart1 + kMinAuthDataPart2);
  put_int1(out, (hs.capabilities & cap::kPluginAuth)
                    ? static_cast<uint8_t>(std::min<size_t>(auth_len, 255))
                    : 0);
  out.append(10, '\0');
  if (hs.capabilities & cap::kSecureConnection) {
    std::string part2 =
        hs.auth_data.size() > kAuthDataPart1 ? hs.auth_data.substr(kAuthDataPart1) : std::string();
    part2.push_back('\0');
    if (part2.size() < kMinAuthDataPart2) part2.resize(kMinAuthDataPart2, '\0');
    out.append(part2);
  }
  if (hs.capabilities & cap::kPluginAuth) put_null_str(out, hs.auth_plugin);
  return out;
}

Result<HandshakeV10> parse_handshake_v10(std::string_view payload) {
  PayloadReader r(payload);
  auto protocol = r.int1();
  if (!protocol) return bad_handshake("empty server greeting");
  if (*protocol == 0xff) return bad_handshake("server greeting is an error packet");
  if (*protocol != 10) {
    return bad_handshake("unsupported protocol version " + std::to_string(*protocol));
  }
  HandshakeV10 hs;
  auto version = r.null_str();
  if (!version) return bad_handshake("server version is not NUL-terminated");
  hs.server_version = *version;
  auto conn_id = r.int4();
  auto part1 = r.bytes(kAuthDataPart1);
  auto filler = r.int1();
  auto cap_low = r.int2();
  if (!conn_id || !part1 || !filler || !cap_low) {
    return bad_handshake("server greeting truncated before the capability flags");
  }
  hs.connection_id = *conn_id;
  hs.auth_data = *part1;
  hs.capabilities = *cap_low;
  if (r.empty()) return hs;  // a pre-4.1 greeting stops here

  auto charset = r.int1();
  auto status = r.int2();
  auto cap_high = r.int2();
  auto auth_len = r.int1();
  // MariaDB keeps its extended capabilities in the last 4 of these bytes; the
  // proxy negotiates none of them.
  auto reserved = r.bytes(10);
  if (!charset || !status || !cap_high || !auth_len || !reserved) {
    return bad_handshake("server greeting truncated in the capability block");
  }
  hs.charset = *charset;
  hs.status_flags = *status;
  hs.capabilities |= static_cast<uint32_t>(*cap_high) << 16;

  if (hs.capabilities & cap::kSecureConnection) {
    size_t part2_len = kMinAuthDataPart2;
    if (*auth_len > kAuthDataPart1)
      part2_len = std::max<size_t>(part2_len, *auth_len - kAuthDataPart1);
    auto part2 = r.bytes(part2_len);
    if (!part2) return bad_handshake("auth-plugin-data part 2 truncated");
    std::string_view p2 = *part2;
    // The scramble is NUL-free; what follows it in part 2 is padding.
    p2 = p2.substr(0, std::min(p2.find('\0'), p2.size()));
    hs.auth_data.append(p2);
  }
  if (hs.capabilities & cap::kPluginAuth) hs.auth_plugin = null_str_or_rest(r);
  return hs;
}

bool is_ssl_request(std::string_view payload) {
  if (payload.size() != kResponseFixedPart) return false;
  PayloadReader r(payload);
  return (*r.int4() & cap::kSsl) != 0;
}

Result<HandshakeResponse41> parse_handshake_response41(std::string_view payload) {
  PayloadReader r(payload);
  HandshakeResponse41 resp;
  auto caps = r.int4();
  if (!caps) return bad_handshake("handshake response truncated");
  if (!(*caps & cap::kProtocol41)) return bad_handshake("client does not speak protocol 4.1");
  auto max_packet = r.int4();
  auto charset = r.int1();
  auto filler = r.bytes(23);
  if (!max_packet || !charset || !filler) return bad_handshake("handshake response truncated");
  resp.capabilities = *caps;
  resp.max_packet_size = *max_packet;
  resp.charset = *charset;

  auto user = r.null_str();
  if (!user) return bad_handshake("user name missing or not NUL-terminated");
  resp.username = *user;

  if (r.empty()) return resp;  // no auth response at all: an empty password
  if (resp.capabilities & cap::kPluginAuthLenencData) {
    auto auth = r.lenenc_str();
    if (!auth) return bad_handshake("auth response length exceeds the packet");
    resp.auth_response = *auth;
  } else if (resp.capabilities & cap::kSecureConnection) {
    auto len = r.int1();
    auto auth = len ? r.bytes(*len) : std::nullopt;
    if (!auth) return bad_handshake("auth response length exceeds the packet");
    resp.auth_response = *auth;
  } else {
    resp.auth_response = null_str_or_rest(r);
  }

  if ((resp.capabilities & cap::kConnectWithDb) && !r.empty()) {
    resp.database = null_str_or_rest(r);
  }
  if ((resp.capabilities & cap::kPluginAuth) && !r.empty()) {
    resp.auth_plugin = null_str_or_rest(r);
  }
  if ((resp.capabilities & cap::kConnectAttrs) && !r.empty()) {
    auto attrs = r.lenenc_str();
    if (!attrs) return bad_handshake("connection attributes length exceeds the packet");
    PayloadReader a(*attrs);
    while (!a.empty()) {
      auto key = a.lenenc_str();
      auto value = key ? a.lenenc_str() : std::nullopt;
      if (!key || !value) return bad_handshake("connection attribute truncated");
      resp.attributes.emplace_back(std::string(*key), std::string(*value));
    }
  }
  return resp;
}

Result<ChangeUser> parse_change_user(std::string_view payload, uint32_t capabilities) {
  PayloadReader r(payload);
  ChangeUser change;
  auto user = r.null_str();
  if (!user) return bad_handshake("COM_CHANGE_USER: user name missing or not NUL-terminated");
  change.username = *user;
  if (capabilities & cap::kSecureConnection) {
    auto len = r.int1();
    auto auth = len ? r.bytes(*len) : std::nullopt;
    if (!auth) return bad_handshake("COM_CHANGE_USER: auth response length exceeds the packet");
    change.auth_response = *auth;
  } else {
    change.auth_response = null_str_or_rest(r);
  }
  if (!r.empty()) change.database = null_str_or_rest(r);
  if (!r.empty()) {
    auto charset = r.int2();
    if (!charset) return bad_handshake("COM_CHANGE_USER: character set truncated");
    change.charset = *charset;
  }
  if ((capabilities & cap::kPluginAuth) && !r.empty()) change.auth_plugin = null_str_or_rest(r);
  // Connection attributes may follow; the proxy has no use for them.
  return change;
}

std::string encode_handshake_response41(const HandshakeResponse41& resp) {
  std::string out;
  put_int4(out, resp.capabilities);
  put_int4(out, resp.max_packet_size);
  put_int1(out, resp.charset);
  out.append(23, '\0');
  put_null_str(out, resp.username);
  if (resp.capabilities & cap::kPluginAuthLenencData) {
    put_lenenc_str(out, resp.auth_response);
  } else if (resp.capabilities & cap::kSecureConnection) {
    std::string_view auth = resp.auth_response;
    auth = auth.substr(0, std::min<size_t>(auth.size(), 255));
    put_int1(out, static_cast<uint8_t>(auth.size()));
    out.append(auth);
  } else {
    put_null_str(out, resp.auth_response);
  }
  if (resp.capabilities & cap::kConnectWithDb) put_null_str(out, resp.database);
  if (resp.capabilities & cap::kPluginAuth) put_null_str(out, resp.auth_plugin);
  if (resp.capabilities & cap::kConnectAttrs) {
    std::string attrs;
    for (const auto& [key, value] : resp.attributes) {
      put_lenenc_str(attrs, key);
      put_lenenc_str(attrs, value);
    }
    put_lenenc_str(out, attrs);
  }
  return out;
}

// The data travels with a trailing NUL, as MySQL servers send it: clients
// check for a 21-byte payload when the plugin's scramble is 20 bytes.
std::string encode_auth_switch_request(const AuthSwitchRequest& req) {
  std::string out;
  put_int1(out, 0xfe);
  put_null_str(out, req.plugin);
  put_null_str(out, req.data);
  return out;
}

Result<AuthSwitchRequest> parse_auth_switch_request(std::string_view payload) {
  PayloadReader r(payload);
  auto header = r.int1();
  if (!header || *header != 0xfe) return malformed("auth switch request lacks its 0xfe header");
  AuthSwitchRequest req;
  auto plugin = r.null_str();
  if (!plugin) return malformed("auth switch request plugin name is not NUL-terminated");
  req.plugin = *plugin;
  std::string_view data = r.rest();
  if (!data.empty() && data.back() == '\0') data.remove_suffix(1);
  req.data = data;
  return req;
}

std::string encode_auth_more_data(std::string_view data) {
  std::string out;
  put_int1(out, 0x01);
  out.append(data);
  return out;
}

}  // namespace gp::mysql
