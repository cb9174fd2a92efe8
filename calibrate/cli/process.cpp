#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <stdexcept>

namespace gpuscale::cli {

ProcessResult run_process(const std::vector<std::string>& argv, const std::string& stdout_path,
                          double timeout_s, bool pass_stderr) {
  if (argv.empty()) throw std::invalid_argument("run_process: empty command");
  int err_pipe[2];
  if (::pipe(err_pipe) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  // A pipe that reports whether exec succeeded: it closes on exec, or carries errno.
  int exec_pipe[2];
  if (::pipe2(exec_pipe, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));

  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::setpgid(0, 0);
    const char* out = stdout_path.empty() ? "/dev/null" : stdout_path.c_str();
    const int fd = ::open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) ::dup2(fd, STDOUT_FILENO);
    ::dup2(err_pipe[1], STDERR_FILENO);
    ::close(err_pipe[0]);
    ::close(exec_pipe[0]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    const int e = errno;
    [[maybe_unused]] auto n = ::write(exec_pipe[1], &e, sizeof e);
    ::_exit(127);
  }
  ::close(err_pipe[1]);
  ::close(exec_pipe[1]);
  int exec_errno = 0;
  if (::read(exec_pipe[0], &exec_errno, sizeof exec_errno) == static_cast<ssize_t>(sizeof exec_errno)) {
    ::close(exec_pipe[0]);
    ::close(err_pipe[0]);
    ::waitpid(pid, nullptr, 0);
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(exec_errno));
  }
  ::close(exec_pipe[0]);

  ProcessResult r;
  std::string buffer;
  const auto start = std::chrono::steady_clock::now();
  bool open = true;
  while (open) {
    const double left =
        timeout_s - std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (left <= 0) {
      r.timed_out = true;
      ::kill(-pid, SIGKILL);
      break;
    }
    pollfd p{err_pipe[0], POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::min(left, 1.0) * 1000) + 1);
    if (ready > 0) {
      char chunk[4096];
      const ssize_t n = ::read(err_pipe[0], chunk, sizeof chunk);
      if (n <= 0) {
        open = false;
      } else {
        if (pass_stderr) std::cerr.write(chunk, n).flush();
        buffer.append(chunk, static_cast<std::size_t>(n));
        if (buffer.size() > 16384) buffer.erase(0, buffer.size() - 8192);
      }
    }
  }
  ::close(err_pipe[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!r.timed_out && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  r.stderr_tail = buffer.size() > 2000 ? buffer.substr(buffer.size() - 2000) : buffer;
  return r;
}

}  // namespace gpuscale::cli
