// Errors of the planner's inputs. An InputError names the file (or "--flag" / "scenario") and the
// field it is about, so a user can find and fix it; the commands turn it into exit code 2.
#pragma once

#include <stdexcept>
#include <string>

namespace gpuscale::planner {

class InputError : public std::runtime_error {
 public:
  InputError(std::string where, std::string field, const std::string& message)
      : std::runtime_error(where + ": " + (field.empty() ? "" : field + ": ") + message),
        where_(std::move(where)),
        field_(std::move(field)) {}
  const std::string& where() const { return where_; }
  const std::string& field() const { return field_; }

 private:
  std::string where_, field_;
};

}  // namespace gpuscale::planner
