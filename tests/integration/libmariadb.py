"""A small ctypes binding of libmariadb (the C client ProxySQL is built on) for what the Python
drivers do not expose: mysql_change_user() and mysql_reset_connection()."""
import ctypes
import ctypes.util

_lib = ctypes.CDLL(ctypes.util.find_library("mariadb") or "libmariadb.so.3")
_lib.mysql_init.restype = ctypes.c_void_p
_lib.mysql_init.argtypes = [ctypes.c_void_p]
_lib.mysql_real_connect.restype = ctypes.c_void_p
_lib.mysql_real_connect.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p,
                                    ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint,
                                    ctypes.c_char_p, ctypes.c_ulong]
_lib.mysql_change_user.restype = ctypes.c_char  # my_bool
_lib.mysql_change_user.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p,
                                   ctypes.c_char_p]
_lib.mysql_reset_connection.restype = ctypes.c_int
_lib.mysql_reset_connection.argtypes = [ctypes.c_void_p]
_lib.mysql_query.restype = ctypes.c_int
_lib.mysql_query.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
_lib.mysql_store_result.restype = ctypes.c_void_p
_lib.mysql_store_result.argtypes = [ctypes.c_void_p]
_lib.mysql_num_fields.restype = ctypes.c_uint
_lib.mysql_num_fields.argtypes = [ctypes.c_void_p]
_lib.mysql_fetch_row.restype = ctypes.POINTER(ctypes.c_char_p)
_lib.mysql_fetch_row.argtypes = [ctypes.c_void_p]
_lib.mysql_free_result.argtypes = [ctypes.c_void_p]
_lib.mysql_errno.restype = ctypes.c_uint
_lib.mysql_errno.argtypes = [ctypes.c_void_p]
_lib.mysql_error.restype = ctypes.c_char_p
_lib.mysql_error.argtypes = [ctypes.c_void_p]
_lib.mysql_close.argtypes = [ctypes.c_void_p]
_lib.mysql_ping.restype = ctypes.c_int
_lib.mysql_ping.argtypes = [ctypes.c_void_p]


class Error(Exception):
    def __init__(self, code, message):
        super().__init__(code, message)
        self.code = code
        self.message = message


def _b(text):
    return None if text is None else text.encode()


class Connection:
    def __init__(self, port, user, password, db=None, host="127.0.0.1"):
        self.handle = _lib.mysql_init(None)
        if not _lib.mysql_real_connect(self.handle, _b(host), _b(user), _b(password), _b(db),
                                       port, None, 0):
            error = self._error()
            _lib.mysql_close(self.handle)
            self.handle = None
            raise error

    def _error(self):
        return Error(_lib.mysql_errno(self.handle), (_lib.mysql_error(self.handle) or b"").decode())

    def query(self, sql):
        """Runs `sql`; returns its rows (tuples of str or None), or None for an OK answer."""
        if _lib.mysql_query(self.handle, _b(sql)) != 0:
            raise self._error()
        result = _lib.mysql_store_result(self.handle)
        if not result:
            if _lib.mysql_errno(self.handle):
                raise self._error()
            return None
        try:
            n = _lib.mysql_num_fields(result)
            rows = []
            while True:
                row = _lib.mysql_fetch_row(result)
                if not row:
                    break
                rows.append(tuple(None if row[i] is None else row[i].decode() for i in range(n)))
            return rows
        finally:
            _lib.mysql_free_result(result)

    def change_user(self, user, password, db=None):
        if _lib.mysql_change_user(self.handle, _b(user), _b(password), _b(db)) != b"\x00":
            raise self._error()

    def reset_connection(self):
        if _lib.mysql_reset_connection(self.handle) != 0:
            raise self._error()

    def ping(self):
        if _lib.mysql_ping(self.handle) != 0:
            raise self._error()

    def close(self):
        if self.handle:
            _lib.mysql_close(self.handle)
            self.handle = None
