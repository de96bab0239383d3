"""A minimal raw-socket MySQL client for malformed-protocol and connection-count tests.

PyMySQL always speaks the protocol correctly; these helpers let a test send
exactly the bytes it wants (truncated frames, wrong sequence ids, absurd
lengths) and still log in cheaply when it needs thousands of sessions.
"""
import hashlib
import socket
import struct

CLIENT_LONG_PASSWORD = 1 << 0
CLIENT_PROTOCOL_41 = 1 << 9
CLIENT_TRANSACTIONS = 1 << 13
CLIENT_SECURE_CONNECTION = 1 << 15
CLIENT_PLUGIN_AUTH = 1 << 19
CLIENT_PLUGIN_AUTH_LENENC = 1 << 21

# No DEPRECATE_EOF, no CONNECT_ATTRS: the simplest 4.1 client.
DEFAULT_CAPS = (CLIENT_LONG_PASSWORD | CLIENT_PROTOCOL_41 | CLIENT_TRANSACTIONS
                | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH)

COM_QUIT = 0x01
COM_QUERY = 0x03
COM_PING = 0x0E

MAX_FRAME = 0xFFFFFF


class Closed(Exception):
    """The peer closed the connection before a whole packet arrived."""


def frame(payload, seq=0, length=None):
    """One wire frame: 3-byte length (the real one unless overridden), sequence id, payload."""
    n = len(payload) if length is None else length
    return struct.pack("<I", n)[:3] + bytes([seq & 0xFF]) + payload


def native_scramble(password, nonce):
    """mysql_native_password: SHA1(pw) XOR SHA1(nonce + SHA1(SHA1(pw)))."""
    if not password:
        return b""
    stage1 = hashlib.sha1(password.encode()).digest()
    stage2 = hashlib.sha1(stage1).digest()
    mix = hashlib.sha1(nonce + stage2).digest()
    return bytes(a ^ b for a, b in zip(stage1, mix))


def handshake_response(user, auth, caps=DEFAULT_CAPS, plugin=b"mysql_native_password",
                       charset=45):
    """A HandshakeResponse41 payload (auth is the already scrambled bytes)."""
    out = struct.pack("<IIB23x", caps, 1 << 24, charset)
    out += user.encode() + b"\0" if isinstance(user, str) else user + b"\0"
    out += bytes([len(auth)]) + auth
    if caps & CLIENT_PLUGIN_AUTH:
        out += plugin + b"\0"
    return out


class Greeting:
    def __init__(self, payload):
        self.payload = payload
        self.protocol = payload[0]
        end = payload.index(b"\0", 1)
        self.server_version = payload[1:end].decode()
        pos = end + 1
        self.connection_id = struct.unpack_from("<I", payload, pos)[0]
        pos += 4
        part1 = payload[pos:pos + 8]
        pos += 9  # 8 bytes of nonce and a filler
        caps_low = struct.unpack_from("<H", payload, pos)[0]
        pos += 2 + 1 + 2  # caps, charset, status
        caps_high = struct.unpack_from("<H", payload, pos)[0]
        pos += 2
        auth_len = payload[pos]
        pos += 1 + 10
        self.capabilities = caps_low | caps_high << 16
        part2_len = max(13, auth_len - 8)
        part2 = payload[pos:pos + part2_len].rstrip(b"\0")
        self.nonce = part1 + part2


class RawConnection:
    """One TCP connection that reads and writes MySQL frames by hand."""

    def __init__(self, port, host="127.0.0.1", timeout=10.0, rcvbuf=None):
        if rcvbuf is None:
            self.sock = socket.create_connection((host, port), timeout=timeout)
        else:  # a small receive window must be set before connecting
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            self.sock.settimeout(timeout)
            self.sock.connect((host, port))
        self.seq = 0

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def send_packet(self, payload, seq=None):
        if seq is None:
            seq = self.seq
        self.sock.sendall(frame(payload, seq))
        self.seq = (seq + 1) & 0xFF

    def _read_exact(self, n):
        chunks = []
        while n:
            chunk = self.sock.recv(min(n, 1 << 20))
            if not chunk:
                raise Closed()
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def read_packet(self):
        """The payload of the next logical packet (frames of 16 MiB - 1 joined)."""
        payload = b""
        while True:
            header = self._read_exact(4)
            length = header[0] | header[1] << 8 | header[2] << 16
            self.seq = (header[3] + 1) & 0xFF
            payload += self._read_exact(length)
            if length < MAX_FRAME:
                return payload

    def read_greeting(self):
        return Greeting(self.read_packet())

    def login(self, user, password, caps=DEFAULT_CAPS):
        """Greeting, handshake response, auth result. Returns the final packet (OK or ERR)."""
        greeting = self.read_greeting()
        self.send_packet(handshake_response(user, native_scramble(password, greeting.nonce),
                                            caps))
        answer = self.read_packet()
        if answer[:1] == b"\xfe":  # auth switch: answer the given nonce natively
            plugin_end = answer.index(b"\0", 1)
            nonce = answer[plugin_end + 1:].rstrip(b"\0")
            self.send_packet(native_scramble(password, nonce))
            answer = self.read_packet()
        return answer

    def command(self, cmd, body=b""):
        self.seq = 0
        self.send_packet(bytes([cmd]) + body)

    def query(self, sql):
        """Sends COM_QUERY; returns the packets of the answer up to OK, ERR or the final EOF."""
        self.command(COM_QUERY, sql.encode() if isinstance(sql, str) else sql)
        first = self.read_packet()
        if first[0] in (0x00, 0xFF):
            return [first]
        packets = [first]
        eofs = 0
        while True:
            p = self.read_packet()
            packets.append(p)
            if p[0] == 0xFF:
                return packets
            if p[0] == 0xFE and len(p) < 9:
                eofs += 1
                if eofs == 2:
                    return packets

    def read_until_closed(self, limit=1 << 20):
        """Everything the peer sends until it closes (or `limit` bytes)."""
        data = b""
        while len(data) < limit:
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
        return data


def is_ok(packet):
    return packet[:1] == b"\x00"


def error_of(packet):
    """(code, message) of an ERR packet, or None."""
    if packet[:1] != b"\xff":
        return None
    code = struct.unpack_from("<H", packet, 1)[0]
    rest = packet[3:]
    if rest[:1] == b"#":
        rest = rest[6:]
    return code, rest.decode("utf-8", "replace")


def payloads_in_stream(data):
    """The payload of every whole frame in a byte stream (a trailing partial frame is ignored)."""
    out = []
    pos = 0
    while pos + 4 <= len(data):
        length = data[pos] | data[pos + 1] << 8 | data[pos + 2] << 16
        payload = data[pos + 4:pos + 4 + length]
        if len(payload) < length:
            break
        out.append(payload)
        pos += 4 + length
    return out


def errors_in_stream(data):
    """(code, message) of every ERR frame in a raw byte stream."""
    return [e for e in map(error_of, payloads_in_stream(data)) if e]
