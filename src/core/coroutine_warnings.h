// g++ 12 reports -Wmismatched-new-delete at the end of some asio coroutines:
// a false positive (asio's awaitable frames use a matching sized operator
// delete; GCC bug 109224). Included by the files that define coroutines.
#pragma once

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
