// Writes seed inputs for mysql_server_fuzz and mysql_client_fuzz, built with
// the codec's own encoders: mysql_corpus_gen <server-dir> <client-dir>.
#include <cstdio>
#include <fstream>
#include <string>

#include "mysql/auth.h"
#include "mysql/handshake.h"
#include "mysql/messages.h"
#include "mysql/packet.h"
#include "mysql/resultset.h"

using namespace gp::mysql;

namespace {

void write(const std::string& dir, const std::string& name, const std::string& bytes) {
  std::ofstream(dir + "/" + name, std::ios::binary) << bytes;
}

// The client target's first byte selects the parser.
void client_seed(const std::string& dir, const std::string& name, char selector,
                 const std::string& payload) {
  write(dir, name, std::string(1, selector) + payload);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <server-corpus-dir> <client-corpus-dir>\n", argv[0]);
    return 2;
  }
  std::string server = argv[1], client = argv[2];

  HandshakeV10 hs;
  hs.server_version = "8.0.36";
  hs.connection_id = 9;
  hs.auth_data = "ABCDEFGHIJKLMNOPQRST";
  hs.capabilities = kServerCapabilities;

  HandshakeResponse41 resp;
  resp.capabilities = kServerCapabilities | cap::kConnectWithDb;
  resp.username = "app";
  resp.auth_response = native_password_scramble("secret", hs.auth_data);
  resp.database = "shop";
  resp.auth_plugin = std::string(kNativePassword);
  resp.attributes = {{"_client_name", "libmysql"}, {"_os", "Linux"}};
  std::string stream;
  uint8_t seq = 1;
  append_packet(stream, seq, encode_handshake_response41(resp));
  write(server, "response_lenenc", stream);

  resp.capabilities &= ~(cap::kPluginAuthLenencData | cap::kConnectAttrs);
  stream.clear();
  seq = 1;
  append_packet(stream, seq, encode_handshake_response41(resp));
  append_packet(stream, seq, std::string("\x03SELECT 1", 9));
  write(server, "response_onebyte_then_query", stream);

  HandshakeResponse41 ssl;
  ssl.capabilities = kServerCapabilities | cap::kSsl;
  stream.clear();
  seq = 1;
  append_packet(stream, seq, encode_handshake_response41(ssl).substr(0, 32));
  write(server, "ssl_request", stream);

  client_seed(client, "greeting_native", 0, encode_handshake_v10(hs));
  hs.auth_plugin = std::string(kCachingSha2Password);
  client_seed(client, "greeting_sha2", 0, encode_handshake_v10(hs));
  client_seed(client, "ok_plain", 1, encode_ok({1, 2, status::kAutocommit, 0, "", ""}, 0));
  client_seed(client, "ok_tracked", 1,
              encode_ok({3, 4, status::kSessionStateChanged, 1, "info", "\x01\x05\x04shop"},
                        kServerCapabilities));
  client_seed(client, "err", 2, encode_err({1045, "28000", "Access denied"}, kServerCapabilities));
  client_seed(client, "eof", 3, encode_eof({0, status::kAutocommit}, kServerCapabilities));
  client_seed(client, "column_count", 4, "\x03");
  Column col = Column::dbl("score");
  col.table = "docs";
  client_seed(client, "column_definition", 5, encode_column_definition(col));
  client_seed(client, "row", 6, "\x03" + encode_text_row({"abc", std::nullopt, "1.5"}));
  client_seed(client, "auth_switch", 8,
              encode_auth_switch_request({std::string(kCachingSha2Password), hs.auth_data}));
  return 0;
}
