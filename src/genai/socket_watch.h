// A socket that libcurl asked an engine thread to watch (CURLMOPT_SOCKETFUNCTION).
#pragma once

#include <curl/curl.h>

#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <system_error>

namespace gp::genai {

// The descriptor never owns the fd: libcurl opens and closes its sockets
// itself, so the fd is released, never closed, when libcurl is done with it.
struct SocketWatch {
  SocketWatch(asio::io_context& io, curl_socket_t fd) : fd(fd), descriptor(io) {}
  // Registers the fd with the loop; fails only when epoll does (no memory,
  // fs.epoll.max_user_watches reached).
  std::error_code watch() {
    std::error_code ec;
    descriptor.assign(fd, ec);
    return ec;
  }
  ~SocketWatch() { forget(); }
  void forget() {
    if (descriptor.is_open()) descriptor.release();  // also cancels pending waits
  }

  curl_socket_t fd;
  asio::posix::stream_descriptor descriptor;
  int wanted = 0;  // CURL_POLL_IN / CURL_POLL_OUT / CURL_POLL_INOUT
  bool reading = false;
  bool writing = false;
  bool removed = false;
};

}  // namespace gp::genai
