"""Malformed MySQL protocol on the client and admin ports, sent over raw sockets.

Every abuse must end in an ERR packet or a clean close, never a crash or a
hang; afterwards a normal client still logs in and the process is alive.
"""
import os
import socket
import struct
import time
import unittest


import harness
import rawmysql
from rawmysql import RawConnection, error_of, errors_in_stream, frame, payloads_in_stream

MAX_PACKET = 1 << 20  # the client port's mysql-max_allowed_packet in this module
ER_ACCESS_DENIED = 1045
ER_UNKNOWN_COMMAND = 1047
ER_NET_PACKET_TOO_LARGE = 1153


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


class ProtocolTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.proxy = harness.Proxy(mysql={"max_allowed_packet": MAX_PACKET}).start()
        cls.ports = {"client": cls.proxy.client_port, "admin": cls.proxy.admin_port}
        cls.credentials = {"client": ("app", "secret"), "admin": ("admin", "admin")}

    @classmethod
    def tearDownClass(cls):
        cls.proxy.cleanup()

    def tearDown(self):
        self.assert_healthy()

    # Helpers -----------------------------------------------------------------
    def assert_healthy(self):
        """The process runs and both interfaces serve a normal client."""
        self.assertIsNone(self.proxy.proc.poll(),
                          "genaiproxy exited:\n" + self.proxy.logs()[-3000:])
        conn = self.proxy.client()
        try:
            rows = harness.query(conn, 'GENAI: {"type":"embed","documents":["healthy"]}')
            self.assertEqual(len(rows), 1)
        finally:
            conn.close()
        admin = self.proxy.admin()
        try:
            self.assertEqual(harness.query(admin, "SELECT 1"), (("1",),))
        finally:
            admin.close()

    def logged_in(self, where):
        raw = RawConnection(self.ports[where])
        answer = raw.login(*self.credentials[where])
        self.assertTrue(rawmysql.is_ok(answer), error_of(answer))
        return raw

    def assert_error_or_close(self, raw, *codes, timeout=10.0, login_refused=False):
        """The peer sends ERR (one of `codes` when given) and/or closes; returns the codes seen.

        With login_refused, no OK packet may arrive either: bad input never logs in.
        """
        raw.sock.settimeout(timeout)
        try:
            data = raw.read_until_closed()
        except socket.timeout:
            self.fail("the proxy neither answered nor closed within %.0fs" % timeout)
        if login_refused:
            self.assertFalse([p for p in payloads_in_stream(data) if p[:1] == b"\x00"],
                             "malformed login answered with OK")
        errors = errors_in_stream(data)
        if codes and errors:
            self.assertIn(errors[-1][0], codes, errors)
        return [code for code, _ in errors]

    def assert_answer_then_usable(self, raw):
        """One complete answer packet (OK or ERR), then the session still answers a ping."""
        answer = raw.read_packet()
        self.assertIn(answer[0], (0x00, 0xFF), answer[:64])
        raw.command(rawmysql.COM_PING)
        self.assertTrue(rawmysql.is_ok(raw.read_packet()))
        return answer


class TruncationTest(ProtocolTestCase):
    def test_partial_header_before_handshake_response(self):
        for where, port in self.ports.items():
            for cut in (b"\x10", b"\x10\x00", b"\x10\x00\x00"):
                with self.subTest(where=where, cut=cut), RawConnection(port) as raw:
                    raw.read_greeting()
                    raw.send_raw(cut)
                    raw.sock.shutdown(socket.SHUT_WR)
                    self.assert_error_or_close(raw, login_refused=True)

    def test_partial_handshake_response_then_close(self):
        for where, port in self.ports.items():
            with RawConnection(port) as raw:
                greeting = raw.read_greeting()
                full = rawmysql.handshake_response(
                    self.credentials[where][0],
                    rawmysql.native_scramble(self.credentials[where][1], greeting.nonce))
                raw.send_raw(frame(full, seq=1)[:len(full) // 2])
            # Closed with half a packet buffered: nothing to answer, nothing to leak.

    def test_declared_length_longer_than_payload_then_half_close(self):
        for where, port in self.ports.items():
            with self.subTest(where=where), RawConnection(port) as raw:
                raw.read_greeting()
                raw.send_raw(frame(b"\x00" * 10, seq=1, length=100))
                raw.sock.shutdown(socket.SHUT_WR)
                self.assert_error_or_close(raw, login_refused=True)

    def test_truncated_command_after_auth(self):
        for where in self.ports:
            for data in (b"\x05", b"\x05\x00\x00", b"\x05\x00\x00\x00\x03SE"):
                with self.subTest(where=where, data=data):
                    raw = self.logged_in(where)
                    raw.send_raw(data)
                    raw.sock.shutdown(socket.SHUT_WR)
                    self.assert_error_or_close(raw)
                    raw.close()

    def test_max_frame_length_with_few_bytes_then_close(self):
        # A frame header announcing 16 MiB - 1 bytes, followed by almost nothing.
        # On the client port that is beyond mysql-max_allowed_packet, so the proxy
        # must give up at once instead of waiting for bytes that will not come.
        for where in self.ports:
            over_limit = where == "client"
            port = self.ports[where]
            with self.subTest(where=where, stage="handshake"), RawConnection(port) as raw:
                raw.read_greeting()
                raw.send_raw(frame(b"\x00" * 7, seq=1, length=rawmysql.MAX_FRAME))
                if not over_limit:
                    raw.sock.shutdown(socket.SHUT_WR)
                self.assert_error_or_close(raw, ER_NET_PACKET_TOO_LARGE, timeout=5)
            with self.subTest(where=where, stage="command"):
                raw = self.logged_in(where)
                raw.send_raw(frame(b"\x03SELECT", seq=0, length=rawmysql.MAX_FRAME))
                if not over_limit:
                    raw.sock.shutdown(socket.SHUT_WR)
                codes = self.assert_error_or_close(raw, ER_NET_PACKET_TOO_LARGE, timeout=5)
                if over_limit:
                    self.assertEqual(codes, [ER_NET_PACKET_TOO_LARGE])
                raw.close()

    def test_command_sent_one_byte_at_a_time_is_reassembled(self):
        raw = self.logged_in("client")
        try:
            packet = frame(b"\x03" + b'GENAI: {"type":"embed","documents":["slow writer"]}')
            raw.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for i in range(len(packet)):
                raw.send_raw(packet[i:i + 1])
                time.sleep(0.002)
            first = raw.read_packet()
            self.assertEqual(first, b"\x01")  # one column
        finally:
            raw.close()


class SequenceTest(ProtocolTestCase):
    def test_wrong_sequence_id_in_handshake_response(self):
        # MySQL would refuse the packet; the proxy may accept it. Either way the
        # stream must stay consistent: a whole answer or an error or a close.
        for where, port in self.ports.items():
            for seq in (0, 7, 255):
                with self.subTest(where=where, seq=seq), RawConnection(port) as raw:
                    greeting = raw.read_greeting()
                    user, password = self.credentials[where]
                    raw.send_packet(rawmysql.handshake_response(
                        user, rawmysql.native_scramble(password, greeting.nonce)), seq=seq)
                    raw.sock.settimeout(10)
                    try:
                        answer = raw.read_packet()
                    except rawmysql.Closed:
                        continue
                    self.assertIn(answer[0], (0x00, 0xFF))

    def test_wrong_sequence_id_in_command(self):
        for where in self.ports:
            for seq in (1, 9, 200):
                with self.subTest(where=where, seq=seq):
                    raw = self.logged_in(where)
                    raw.send_packet(b"\x0e", seq=seq)  # COM_PING with a wrong sequence id
                    try:
                        answer = raw.read_packet()
                        self.assertIn(answer[0], (0x00, 0xFF))
                    except rawmysql.Closed:
                        pass
                    raw.close()


class OversizeTest(ProtocolTestCase):
    def test_packet_beyond_max_allowed_packet_is_refused(self):
        raw = self.logged_in("client")
        try:
            header = frame(b"", seq=0, length=MAX_PACKET + 1)
            raw.send_raw(header + b"\x03" + b"x" * 65536)
            codes = self.assert_error_or_close(raw, ER_NET_PACKET_TOO_LARGE)
            self.assertEqual(codes, [ER_NET_PACKET_TOO_LARGE])
        finally:
            raw.close()

    def test_oversized_handshake_response_is_refused(self):
        with RawConnection(self.ports["client"]) as raw:
            raw.read_greeting()
            raw.send_raw(frame(b"", seq=1, length=MAX_PACKET + 1) + b"\x00" * 1024)
            self.assert_error_or_close(raw, ER_NET_PACKET_TOO_LARGE, timeout=5)

    def test_packet_at_the_limit_is_served_and_one_more_byte_is_not(self):
        prefix = b'\x03GENAI: {"type":"embed","documents":["'
        suffix = b'"]}'
        body = (b"word " * MAX_PACKET)[:MAX_PACKET - len(prefix) - len(suffix)]
        payload = prefix + body + suffix
        self.assertEqual(len(payload), MAX_PACKET)
        raw = self.logged_in("client")
        try:
            raw.send_raw(frame(payload))
            first = raw.read_packet()
            # A result set (one column) or an error about the request, never "too large".
            self.assertTrue(first == b"\x01" or error_of(first)[0] != ER_NET_PACKET_TOO_LARGE,
                            first[:200])
        finally:
            raw.close()
        raw = self.logged_in("client")
        try:
            raw.send_raw(frame(payload + b" "))
            self.assertEqual(self.assert_error_or_close(raw), [ER_NET_PACKET_TOO_LARGE])
        finally:
            raw.close()

    def test_multi_frame_packet_beyond_the_limit(self):
        # Frames of 16 MiB - 1 announce "more follows"; the sum is what counts.
        raw = self.logged_in("admin")  # the admin port allows 64 MiB
        try:
            raw.send_raw(frame(b"\x03" + b"-" * 100, seq=0, length=rawmysql.MAX_FRAME))
            raw.sock.shutdown(socket.SHUT_WR)
            self.assert_error_or_close(raw)
        finally:
            raw.close()


class GarbageTest(ProtocolTestCase):
    GARBAGE = {
        "zeros": b"\x00" * 64,
        "ones": b"\xff" * 64,
        "http": b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        "tls_client_hello": bytes.fromhex("16030100a5010000a10303") + os.urandom(160),
        "short_frame": frame(b"\x01\x02\x03", seq=1),
        "no_protocol_41": frame(struct.pack("<IIB23x", 0x0001, 1 << 24, 8) + b"app\0\0", seq=1),
        "random": os.urandom(4096),
    }

    def test_garbage_instead_of_handshake_response(self):
        for where, port in self.ports.items():
            for name, data in self.GARBAGE.items():
                with self.subTest(where=where, garbage=name), RawConnection(port) as raw:
                    raw.read_greeting()
                    raw.send_raw(data)
                    try:
                        raw.sock.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass  # the proxy refused the bytes and closed first: that is an answer too
                    self.assert_error_or_close(raw, login_refused=True)

    def test_garbage_before_the_greeting_is_read(self):
        for where, port in self.ports.items():
            with self.subTest(where=where), RawConnection(port) as raw:
                raw.send_raw(os.urandom(2048))
                raw.sock.shutdown(socket.SHUT_WR)
                raw.read_greeting()
                self.assert_error_or_close(raw, login_refused=True)

    def test_absurd_user_name(self):
        for where, port in self.ports.items():
            with self.subTest(where=where, case="no terminator"), RawConnection(port) as raw:
                raw.read_greeting()
                payload = struct.pack("<IIB23x", rawmysql.DEFAULT_CAPS, 1 << 24, 45)
                raw.send_packet(payload + b"u" * (MAX_PACKET - 64))
                self.assert_error_or_close(raw, login_refused=True)
            with self.subTest(where=where, case="huge terminated"), RawConnection(port) as raw:
                greeting = raw.read_greeting()
                user = "u" * (MAX_PACKET // 2)
                raw.send_packet(rawmysql.handshake_response(
                    user, rawmysql.native_scramble("secret", greeting.nonce)))
                answer = raw.read_packet()
                # Login packets are capped at 64 KiB: a longer one is refused as too
                # large before its user name is even looked at.
                self.assertEqual(error_of(answer)[0], ER_NET_PACKET_TOO_LARGE)

    def test_absurd_auth_response_length(self):
        caps = rawmysql.DEFAULT_CAPS | rawmysql.CLIENT_PLUGIN_AUTH_LENENC
        for where, port in self.ports.items():
            for name, auth in (("lenenc 2^64-1", b"\xfe" + b"\xff" * 8 + b"abc"),
                               ("lenenc 16M", b"\xfd\xff\xff\xff" + b"abc"),
                               ("lenenc truncated", b"\xfe\x01")):
                with self.subTest(where=where, case=name), RawConnection(port) as raw:
                    raw.read_greeting()
                    payload = struct.pack("<IIB23x", caps, 1 << 24, 45) + b"app\0" + auth
                    raw.send_packet(payload)
                    self.assert_error_or_close(raw, login_refused=True)
            with self.subTest(where=where, case="1-byte length 255"), RawConnection(port) as raw:
                raw.read_greeting()
                payload = struct.pack("<IIB23x", rawmysql.DEFAULT_CAPS, 1 << 24, 45)
                raw.send_packet(payload + b"app\0" + b"\xff" + b"abc")
                self.assert_error_or_close(raw, login_refused=True)


class CommandTest(ProtocolTestCase):
    NO_ANSWER = {0x01, 0x18, 0x19}  # COM_QUIT, COM_STMT_SEND_LONG_DATA, COM_STMT_CLOSE

    def test_every_command_byte_gets_an_answer_on_the_client_port(self):
        raw = self.logged_in("client")
        try:
            codes = {}
            for cmd in range(256):
                if cmd in self.NO_ANSWER:
                    continue
                raw.command(cmd, b"")
                answer = self.assert_answer_then_usable(raw)
                codes[cmd] = error_of(answer)[0] if answer[0] == 0xFF else 0
            for cmd in (0x1d, 0x20, 0x7f, 0xfe, 0xff):
                self.assertEqual(codes[cmd], ER_UNKNOWN_COMMAND, hex(cmd))
        finally:
            raw.close()

    def test_unknown_command_bytes_on_the_admin_port(self):
        raw = self.logged_in("admin")
        try:
            # 0x16 (COM_STMT_PREPARE) is answered: the admin prepares statements.
            for cmd in (0x00, 0x04, 0x08, 0x1d, 0x20, 0x80, 0xfe, 0xff):
                raw.command(cmd, b"junk")
                answer = self.assert_answer_then_usable(raw)
                self.assertEqual(answer[0], 0xFF, hex(cmd))
        finally:
            raw.close()

    def test_empty_com_query(self):
        for where in self.ports:
            with self.subTest(where=where):
                raw = self.logged_in(where)
                try:
                    raw.command(rawmysql.COM_QUERY, b"")
                    self.assert_answer_then_usable(raw)
                    raw.command(rawmysql.COM_QUERY, b"   \n\t ")
                    self.assert_answer_then_usable(raw)
                    raw.command(rawmysql.COM_QUERY, b"GENAI:")
                    self.assert_answer_then_usable(raw)
                finally:
                    raw.close()

    def test_empty_packet_after_auth(self):
        for where in self.ports:
            with self.subTest(where=where):
                raw = self.logged_in(where)
                raw.send_raw(frame(b"", seq=0))
                self.assert_error_or_close(raw)
                raw.close()

    def test_pipelined_commands_are_answered_in_order(self):
        raw = self.logged_in("client")
        try:
            docs = [f"pipelined {i}" for i in range(5)]
            data = b"".join(
                frame(b"\x03" + f'GENAI: {{"type":"embed","documents":["{d}"]}}'.encode())
                for d in docs)
            raw.send_raw(data + frame(b"\x0e"))
            for _ in docs:
                self.assertEqual(raw.read_packet(), b"\x01")  # column count
                while raw.read_packet()[0] not in (0xFE,):  # column definition(s)
                    pass
                while True:  # rows up to the closing EOF
                    p = raw.read_packet()
                    if p[0] == 0xFE and len(p) < 9:
                        break
            self.assertTrue(rawmysql.is_ok(raw.read_packet()))
        finally:
            raw.close()


class ConnectCloseTest(ProtocolTestCase):
    ROUNDS = 300

    def test_connect_and_close_hundreds_of_times(self):
        pid = self.proxy.proc.pid
        self.assert_healthy()
        baseline = fd_count(pid)
        for where, port in self.ports.items():
            for i in range(self.ROUNDS):
                s = socket.create_connection(("127.0.0.1", port), timeout=5)
                if i % 3 == 1:  # an abortive close (RST) instead of a FIN
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                elif i % 3 == 2:
                    s.recv(4)  # read part of the greeting first
                s.close()
        deadline = time.time() + 10
        while fd_count(pid) > baseline + 2 and time.time() < deadline:
            time.sleep(0.1)
        self.assertLessEqual(fd_count(pid), baseline + 2)
        with self.proxy.admin() as admin:
            while True:
                stats = dict(harness.query(admin, "SELECT * FROM stats_mysql_global"))
                if int(stats["Client_Connections_connected"]) == 0 or time.time() > deadline:
                    break
                time.sleep(0.1)
            self.assertEqual(int(stats["Client_Connections_connected"]), 0, stats)


if __name__ == "__main__":
    unittest.main()
