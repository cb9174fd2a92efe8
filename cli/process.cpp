#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace gpuscale::cli {

std::string ProcessResult::describe() const {
  if (interrupted) return "interrupted";
  if (timed_out) return "timed out after " + std::to_string(static_cast<long>(std::lround(wall_s))) + " s";
  if (term_signal != 0) {
    const char* name = ::strsignal(term_signal);
    return "crashed (signal " + std::to_string(term_signal) + (name ? std::string(", ") + name : "") + ")";
  }
  return exit_code == 0 ? "ok" : "exit " + std::to_string(exit_code);
}

namespace {

using Clock = std::chrono::steady_clock;

class SpawnAttrs {
 public:
  SpawnAttrs() {
    ::posix_spawnattr_init(&attr_);
    ::posix_spawn_file_actions_init(&actions_);
  }
  ~SpawnAttrs() {
    ::posix_spawnattr_destroy(&attr_);
    ::posix_spawn_file_actions_destroy(&actions_);
  }
  SpawnAttrs(const SpawnAttrs&) = delete;
  SpawnAttrs& operator=(const SpawnAttrs&) = delete;
  posix_spawnattr_t attr_;
  posix_spawn_file_actions_t actions_;
};

void check(int rc, const char* what) {
  if (rc != 0) throw std::runtime_error(std::string(what) + ": " + std::strerror(rc));
}

// Reads what is there without blocking; false once the write ends are all closed.
bool drain(int fd, std::string& buffer, bool pass) {
  char chunk[4096];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n > 0) {
      if (pass) std::cerr.write(chunk, n).flush();
      buffer.append(chunk, static_cast<std::size_t>(n));
      if (buffer.size() > 16384) buffer.erase(0, buffer.size() - 8192);
      continue;
    }
    if (n == 0) return false;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  }
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv, const std::string& stdout_path,
                          double timeout_s, bool pass_stderr, const std::atomic<int>* stop) {
  if (argv.empty()) throw std::invalid_argument("run_process: empty command");
  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));

  pid_t pid = -1;
  int spawn_rc = 0;
  {
    SpawnAttrs sa;
    // Its own process group, so that a timeout or an interrupt reaches its children too; default
    // signal dispositions, whatever ours are.
    check(::posix_spawnattr_setpgroup(&sa.attr_, 0), "posix_spawnattr_setpgroup");
    sigset_t all;
    ::sigfillset(&all);
    check(::posix_spawnattr_setsigdefault(&sa.attr_, &all), "posix_spawnattr_setsigdefault");
    sigset_t none;
    ::sigemptyset(&none);
    check(::posix_spawnattr_setsigmask(&sa.attr_, &none), "posix_spawnattr_setsigmask");
    check(::posix_spawnattr_setflags(&sa.attr_,
                                     POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK),
          "posix_spawnattr_setflags");
    const char* out = stdout_path.empty() ? "/dev/null" : stdout_path.c_str();
    check(::posix_spawn_file_actions_addopen(&sa.actions_, STDOUT_FILENO, out, O_WRONLY | O_CREAT | O_TRUNC,
                                             0644),
          "posix_spawn_file_actions_addopen");
    // dup2 clears close-on-exec on the copy: the child keeps only fd 2 of the pipe.
    check(::posix_spawn_file_actions_adddup2(&sa.actions_, err_pipe[1], STDERR_FILENO),
          "posix_spawn_file_actions_adddup2");
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    spawn_rc = ::posix_spawn(&pid, args[0], &sa.actions_, &sa.attr_, args.data(), environ);
  }
  ::close(err_pipe[1]);
  if (spawn_rc != 0) {
    ::close(err_pipe[0]);
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(spawn_rc));
  }
  ::fcntl(err_pipe[0], F_SETFL, ::fcntl(err_pipe[0], F_GETFL) | O_NONBLOCK);

  ProcessResult r;
  std::string buffer;
  bool pipe_open = true;
  int status = 0;
  bool exited = false;
  const auto start = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  // Ends the child: `sig` to its group, SIGKILL after the grace period, and reaps it.
  auto end_child = [&](int sig) {
    ::kill(-pid, sig);
    const auto until = Clock::now() + std::chrono::seconds(sig == SIGKILL ? 0 : 2);
    while (::waitpid(pid, &status, WNOHANG) == 0) {
      if (Clock::now() >= until) {
        ::kill(-pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        break;
      }
      if (pipe_open) pipe_open = drain(err_pipe[0], buffer, pass_stderr);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    exited = true;
  };

  while (!exited) {
    const pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) {
      exited = true;
      break;
    }
    if (stop && stop->load() != 0) {
      r.interrupted = true;
      end_child(stop->load());
      break;
    }
    if (elapsed() >= timeout_s) {
      r.timed_out = true;
      end_child(SIGKILL);
      break;
    }
    if (pipe_open) {
      pollfd p{err_pipe[0], POLLIN, 0};
      if (::poll(&p, 1, 100) > 0) pipe_open = drain(err_pipe[0], buffer, pass_stderr);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  r.wall_s = elapsed();
  if (pipe_open) drain(err_pipe[0], buffer, pass_stderr);
  ::close(err_pipe[0]);
  // Whatever the child left running in its group (it would hold the GPU or the pipe) goes too.
  ::kill(-pid, SIGKILL);
  if (WIFEXITED(status))
    r.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    r.term_signal = WTERMSIG(status);
  if (r.timed_out || r.interrupted) r.term_signal = 0, r.exit_code = -1;
  r.stderr_tail = buffer.size() > 2000 ? buffer.substr(buffer.size() - 2000) : buffer;
  return r;
}

}  // namespace gpuscale::cli
