// Running a bench binary as a child process, with its stdout to a log file, its stderr passed
// through (progress lines), and a time limit after which its whole process group is killed.
#pragma once

#include <string>
#include <vector>

namespace gpuscale::cli {

struct ProcessResult {
  int exit_code = -1;     // the child's exit status; -1 when it was killed
  bool timed_out = false;
  std::string stderr_tail;  // the last lines it wrote to stderr (also passed through)
};

// Runs argv[0] with argv; stdout goes to `stdout_path` ("" = /dev/null). Throws std::runtime_error
// when the program cannot be started.
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& stdout_path,
                          double timeout_s, bool pass_stderr = true);

}  // namespace gpuscale::cli
