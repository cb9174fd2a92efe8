#include "gpuscale/core/args.hpp"

#include <cmath>
#include <cstdlib>
#include <ostream>
#include <sstream>

#include "gpuscale/core/units.hpp"

namespace gpuscale::cli {
namespace {

// `text` with its lines broken at spaces to fit `width` columns.
std::string wrap(const std::string& text, std::size_t width) {
  std::string out, line;
  std::istringstream words(text);
  for (std::string word; words >> word;) {
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      out += line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  return out + line;
}

constexpr std::size_t kColumn = 30, kDescriptionWidth = 68;

// Usage line first, then the description, the options (their descriptions wrapped) and the footer.
class Formatter : public CLI::Formatter {
 public:
  Formatter() { column_width(kColumn); }
  std::string make_option_desc(const CLI::Option* opt) const override {
    return wrap(CLI::Formatter::make_option_desc(opt), kDescriptionWidth);
  }
  std::string make_subcommand(const CLI::App* sub) const override {
    std::stringstream out;
    CLI::detail::format_help(out, sub->get_name(), wrap(sub->get_description(), kDescriptionWidth), kColumn);
    return out.str();
  }
  std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override {
    if (mode == CLI::AppFormatMode::Sub) return make_expanded(app);
    std::stringstream out;
    out << make_usage(app, name);
    if (!app->get_description().empty()) out << "\n" << app->get_description() << "\n";
    out << make_positionals(app) << make_groups(app, mode) << make_subcommands(app, mode);
    if (!app->get_footer().empty()) out << "\n" << app->get_footer() << "\n";
    return out.str();
  }
};

}  // namespace

std::unique_ptr<CLI::App> make_app(const std::string& program, const std::string& description,
                                   const std::string& footer) {
  auto app = std::make_unique<CLI::App>(description, program);
  app->formatter(std::make_shared<Formatter>());
  app->footer(footer);
  app->option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app->set_help_flag("-h,--help", "print this help and exit 0");
  return app;
}

int parse_args(CLI::App& app, const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes the vector reversed
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    out << app.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return 0;
    usage_error(app, e.what(), err);
    return 2;
  }
  return -1;
}

void usage_error(const CLI::App& app, const std::string& message, std::ostream& err) {
  err << app.get_name() << ": " << message << " (see " << app.get_name() << " --help)\n";
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) items.push_back(std::move(item));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return items;
}

CLI::Validator finite_number(const std::string& what, std::function<bool(double)> accept) {
  return CLI::Validator(
      [what, accept](std::string& text) -> std::string {
        const auto v = parse_finite(text);
        if (!v || (accept && !accept(*v))) return "'" + text + "' is not " + what;
        return {};
      },
      "");
}

CLI::Validator one_of(std::vector<std::string> values, const std::string& what) {
  return CLI::Validator(
      [values, what](std::string& text) -> std::string {
        for (const auto& v : values)
          if (text == v) return {};
        return "'" + text + "' is not " + what;
      },
      "");
}

}  // namespace gpuscale::cli
