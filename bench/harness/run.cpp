#include "harness/run.hpp"

#include "gpuscale/core/file_io.hpp"

namespace gpuscale::bench {

void Run::write_fragment() const {
  write_file_atomic(options_.out, fragment().dump(1));
}

}  // namespace gpuscale::bench
