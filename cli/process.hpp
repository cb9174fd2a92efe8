// Running a bench binary as a child process, with its stdout to a log file, its stderr passed
// through (progress lines), and a time limit after which its whole process group is killed.
//
// The child is started with posix_spawn in a process group of its own, and its end is what
// waitpid says: a grandchild that inherits stderr and keeps the pipe open can delay nothing.
#pragma once

#include <atomic>
#include <string>
#include <vector>

namespace gpuscale::cli {

struct ProcessResult {
  int exit_code = -1;        // the child's exit status; -1 when a signal ended it
  int term_signal = 0;       // the signal that ended it (0 when it exited)
  bool timed_out = false;    // killed by us at the time limit
  bool interrupted = false;  // stopped by us because `stop` was raised
  double wall_s = 0;
  std::string stderr_tail;  // the last lines it wrote to stderr (also passed through)

  bool ok() const { return exit_code == 0 && !timed_out && !interrupted && term_signal == 0; }
  // "ok", "exit 3", "crashed (signal 11, Segmentation fault)", "timed out after 240 s", "interrupted"
  std::string describe() const;
};

// Runs argv[0] with argv; stdout goes to `stdout_path` ("" = /dev/null). When `stop` becomes
// non-zero, the child's process group gets that signal, then SIGKILL after a 2 s grace. Throws
// std::runtime_error when the program cannot be started.
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& stdout_path,
                          double timeout_s, bool pass_stderr = true, const std::atomic<int>* stop = nullptr);

}  // namespace gpuscale::cli
