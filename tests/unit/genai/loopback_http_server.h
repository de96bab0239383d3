// A minimal HTTP/1.1 server on 127.0.0.1 for engine tests (test code only):
// one thread per connection, keep-alive, answers from a handler.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace gp::genai::testing {

struct HttpExchange {
  std::string path;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

struct HttpAnswer {
  int status = 200;
  std::string body;
  bool hang = false;   // never answer (until the server stops)
  bool reset = false;  // close the connection without an answer
  int delay_ms = 0;    // answer after this long
  std::vector<std::pair<std::string, std::string>> headers{};
};

class LoopbackHttpServer {
 public:
  using Handler = std::function<HttpAnswer(const HttpExchange&)>;

  explicit LoopbackHttpServer(Handler handler) : handler_(std::move(handler)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listen_fd_, 128);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    accept_thread_ = std::thread([this] { accept_loop(); });
  }

  ~LoopbackHttpServer() {
    stopping_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    accept_thread_.join();
    {
      std::lock_guard lock(mutex_);
      for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : connection_threads_) t.join();
  }

  int port() const { return port_; }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  // Capability probes (User-Agent genaiproxy-probe) go to this handler, not
  // the main one, and are not counted in requests(); without one they get 404.
  void on_probe(Handler handler) {
    std::lock_guard lock(mutex_);
    probe_handler_ = std::move(handler);
  }
  int probes() const { return probes_.load(); }
  int requests() const { return requests_.load(); }
  int connections() const { return connections_.load(); }
  HttpExchange last() {
    std::lock_guard lock(mutex_);
    return last_;
  }

 private:
  void accept_loop() {
    while (!stopping_) {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      connections_++;
      std::lock_guard lock(mutex_);
      fds_.push_back(fd);
      connection_threads_.emplace_back([this, fd] { serve(fd); });
    }
  }

  void serve(int fd) {
    std::string buffer;
    char chunk[65536];
    for (;;) {
      size_t header_end;
      while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos) {
        ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n <= 0) return close_fd(fd);
        buffer.append(chunk, static_cast<size_t>(n));
      }
      HttpExchange ex;
      std::string head = buffer.substr(0, header_end);
      size_t line_end = head.find("\r\n");
      std::string request_line = head.substr(0, line_end);
      size_t sp1 = request_line.find(' ');
      size_t sp2 = request_line.find(' ', sp1 + 1);
      ex.path = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
      size_t pos = line_end + 2;
      while (pos < head.size()) {
        size_t e = head.find("\r\n", pos);
        if (e == std::string::npos) e = head.size();
        std::string line = head.substr(pos, e - pos);
        size_t colon = line.find(':');
        if (colon != std::string::npos) {
          std::string name = line.substr(0, colon);
          for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          size_t v = line.find_first_not_of(' ', colon + 1);
          ex.headers[name] = v == std::string::npos ? "" : line.substr(v);
        }
        pos = e + 2;
      }
      size_t length =
          ex.headers.count("content-length") ? std::stoul(ex.headers["content-length"]) : 0;
      size_t body_start = header_end + 4;
      while (buffer.size() < body_start + length) {
        ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n <= 0) return close_fd(fd);
        buffer.append(chunk, static_cast<size_t>(n));
      }
      ex.body = buffer.substr(body_start, length);
      buffer.erase(0, body_start + length);
      HttpAnswer answer;
      auto agent = ex.headers.find("user-agent");
      if (agent != ex.headers.end() && agent->second == "genaiproxy-probe") {
        probes_++;
        Handler probe;
        {
          std::lock_guard lock(mutex_);
          probe = probe_handler_;
        }
        answer = probe ? probe(ex) : HttpAnswer{404, R"({"error":"not found"})"};
      } else {
        requests_++;
        {
          std::lock_guard lock(mutex_);
          last_ = ex;
        }
        answer = handler_(ex);
      }
      if (answer.reset) {
        ::shutdown(fd, SHUT_RDWR);
        return close_fd(fd);
      }
      if (answer.delay_ms > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(answer.delay_ms));
      }
      if (answer.hang) {
        while (::read(fd, chunk, sizeof chunk) > 0) {
        }
        return close_fd(fd);
      }
      std::string out =
          "HTTP/1.1 " + std::to_string(answer.status) + " X\r\nContent-Type: application/json\r\n";
      for (const auto& [name, value] : answer.headers) out += name + ": " + value + "\r\n";
      out += "Content-Length: " + std::to_string(answer.body.size()) + "\r\n\r\n" + answer.body;
      size_t sent = 0;
      while (sent < out.size()) {
        ssize_t n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) return close_fd(fd);
        sent += static_cast<size_t>(n);
      }
    }
  }

  void close_fd(int fd) {
    std::lock_guard lock(mutex_);
    std::erase(fds_, fd);
    ::close(fd);
  }

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> requests_{0};
  std::atomic<int> probes_{0};
  std::atomic<int> connections_{0};
  Handler probe_handler_;
  std::thread accept_thread_;
  std::mutex mutex_;
  std::vector<int> fds_;
  std::vector<std::thread> connection_threads_;
  HttpExchange last_;
};

}  // namespace gp::genai::testing
