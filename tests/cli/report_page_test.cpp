// gpuscale report: the charts, the roofline and the grouped problems of FIXTURE documents, the page
// for several runs, and the page rendered in a real browser (headless Chromium from Debian's
// packages): every chart must have drawn content. Without Chromium that test is skipped, saying why.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <regex>

#include "fixture_docs.hpp"
#include "report_command.hpp"

namespace gpuscale {
using nlohmann::json;

namespace {

class Report : public test::FixtureDir {};

// The first of the usual Chromium binaries on PATH, or "".
std::string find_chromium() {
  for (const char* name : {"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}) {
    const auto r = test::run_command_line(std::string("command -v ") + name);
    if (r.exit_code == 0 && !r.out.empty()) return r.out.substr(0, r.out.find('\n'));
  }
  return "";
}

int count(const std::string& s, const std::string& what) {
  int n = 0;
  for (std::size_t p = 0; (p = s.find(what, p)) != std::string::npos; p += what.size()) ++n;
  return n;
}

}  // namespace

TEST_F(Report, RooflineCeilingsAndLayerGemmsFromTheRun) {
  const json doc = read_json_file(fixture("h200.json", "--sku h200-sxm-141gb --gpus 2"));
  const cli::Roofline r = cli::roofline_of(doc, "run1");
  EXPECT_NEAR(r.hbm_gbps, 4300, 4300 * 0.02);  // the profile's published H200 copy figure (fixture)
  EXPECT_EQ(r.l2_gbps, 0);                     // the fixture has no L2 step: no L2 ceiling is drawn
  ASSERT_TRUE(r.peak_tflops.count("bf16_tensor"));
  ASSERT_TRUE(r.peak_tflops.count("fp8_tensor"));
  EXPECT_GT(r.peak_tflops.at("fp8_tensor"), r.peak_tflops.at("bf16_tensor"));
  ASSERT_EQ(r.points.size(), 12u);  // the Llama-3 8B layer at 4096 tokens: 4 linears x fwd, dx, dw
  // qkv fwd: m = 4096, n = 6144, k = 4096 in BF16: 2mnk / (2 (mk + kn) + 2 mn) FLOP per byte.
  bool found = false;
  for (const auto& p : r.points)
    if (p.label == "bf16 qkv fwd (llama-3-8b, 4096 tokens)") {
      found = true;
      const double m = 4096, n = 6144, k = 4096;
      EXPECT_NEAR(p.intensity, 2 * m * n * k / (2 * (m * k + k * n) + 2 * m * n), 1e-9);
      EXPECT_EQ(p.peak, "bf16_tensor");
      EXPECT_LE(p.tflops, r.peak_tflops.at("bf16_tensor"));
    }
  EXPECT_TRUE(found);
  const std::string svg = cli::svg_roofline({r});
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_EQ(count(svg, "<circle class=\"mark\""), 12);
}

TEST_F(Report, SkippedAndErroredGroupedOneLinePerReason) {
  const json doc = read_json_file(fixture("a100.json", "--sku a100-sxm-80gb --gpus 8"));
  int not_ok = 0;
  for (const auto& b : doc["benchmarks"]) not_ok += b["status"] != "ok";
  const auto lines = cli::grouped_problems(doc);
  ASSERT_FALSE(lines.empty());
  EXPECT_LT(lines.size(), 12u) << not_ok << " entries";
  EXPECT_GT(not_ok, 300);
  int total = 0;
  for (const auto& l : lines) {
    std::smatch m;
    ASSERT_TRUE(std::regex_search(l, m, std::regex("^(skipped|error|not_run) x([0-9]+): "))) << l;
    total += std::stoi(m[2]);
  }
  EXPECT_EQ(total, not_ok);
  // Reasons that differ only in a number share a line.
  json d = {{"gpus", json::array()}, {"benchmarks", json::array()}};
  for (int i = 0; i < 3; ++i)
    d["benchmarks"].push_back(
        {{"id", "transfer/d2d_peer/src:0/dst:" + std::to_string(i + 1) + "/engine:sm/bytes:4096"},
         {"status", "skipped"},
         {"reason", "needs GPUs 0 and " + std::to_string(i + 1) + ", 1 found"}});
  const auto g = cli::grouped_problems(d);
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].rfind("skipped x3: needs GPUs 0 and 1, 1 found (and similar) [transfer/d2d_peer]", 0), 0u)
      << g[0];
}

TEST_F(Report, SeveralRunsOverlaidOneColourPerRunWithTheCompareTable) {
  const std::string a = fixture("a100.json", "--sku a100-sxm-80gb --gpus 2");
  const std::string b = fixture("h200.json", "--sku h200-sxm-141gb --gpus 2");
  const auto charts = cli::charts_for_runs({read_json_file(a), read_json_file(b)});
  bool copy = false;
  for (const auto& c : charts)
    if (c.title == "Memory bandwidth (read + write): copy/width:16") {
      copy = true;
      ASSERT_EQ(c.series.size(), 2u);
      EXPECT_EQ(c.series[0].run, 0);
      EXPECT_EQ(c.series[1].run, 1);
      EXPECT_EQ(c.series[1].name, "run2 h200-sxm-141gb");
      ASSERT_EQ(c.markers.size(), 2u);  // the L2 of each GPU: 40 MiB and 50 MiB
    }
  EXPECT_TRUE(copy);
  const std::string html = path("gen.html");
  const auto r = gpuscale("report " + a + " " + b + " -o " + html);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string page = test::slurp(html);
  EXPECT_NE(page.find("<h2>Compare (against run1)</h2>"), std::string::npos);
  EXPECT_NE(page.find("Roofline from the measured ceilings"), std::string::npos);
  EXPECT_NE(page.find("GEMM at Llama layer shapes: llama-3-8b, 4096 tokens, bf16"), std::string::npos);
  EXPECT_NE(page.find("FIXTURE, not a measurement"), std::string::npos);
  EXPECT_NE(page.find(">run1 L2 40MiB<"), std::string::npos);
  EXPECT_NE(page.find(">run2 L2 50MiB<"), std::string::npos);
  // Every figure has marks to draw, and the not-run entries are a few lines, not hundreds.
  EXPECT_EQ(count(page, "<figure class=\"chart\">"), count(page, "<figure class=\"chart\"><svg"));
  EXPECT_LT(count(page, "<li>"), 20);
  EXPECT_EQ(page.find("nan"), std::string::npos);
  // A schema_version the tool does not read is refused by name.
  json v2 = read_json_file(b);
  v2["schema_version"] = 2;
  write_file_atomic(path("v2.json"), v2.dump());
  const auto bad = gpuscale("report " + a + " " + path("v2.json") + " -o " + path("no.html"));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("schema_version 2; this gpuscale reads schema_version 1"), std::string::npos)
      << bad.err;
}

TEST_F(Report, EveryChartHasDrawnContentInAHeadlessBrowser) {
  const std::string chromium = find_chromium();
  if (chromium.empty())
    GTEST_SKIP() << "no Chromium on PATH (chromium, chromium-browser, google-chrome): install it (Debian: "
                    "apt-get install "
                    "chromium) to render the report in a real browser";
  const std::string a = fixture("a100.json", "--sku a100-sxm-80gb --gpus 8");
  const std::string b = fixture("h100.json", "--sku h100-sxm-80gb --gpus 8");
  const std::string c = fixture("h200.json", "--sku h200-sxm-141gb --gpus 8");
  for (const auto& [name, inputs] :
       std::vector<std::pair<std::string, std::string>>{{"one", c}, {"three", a + " " + b + " " + c}}) {
    const std::string html = path(name + ".html");
    const auto r = gpuscale("report " + inputs + " -o " + html);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string page = test::slurp(html);
    const int figures = count(page, "<figure class=\"chart\">");
    ASSERT_GT(figures, 5);
    // The DOM after the page's scripts ran: each figure got data-drawn from the browser's own layout.
    const std::string flags = " --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir=" +
                              path("profile-" + name) + " --virtual-time-budget=10000";
    const auto dom = test::run_command_line("timeout 120 " + chromium + flags + " --dump-dom file://" + html);
    ASSERT_EQ(dom.exit_code, 0) << dom.err.substr(0, 2000);
    std::smatch m;
    ASSERT_TRUE(std::regex_search(
        dom.out, m, std::regex("id=\"render-check\" data-charts=\"([0-9]+)\" data-empty=\"([0-9]+)\"")))
        << "the page's render check did not run in " << chromium << ":\n"
        << dom.out.substr(0, 1000);
    EXPECT_EQ(std::stoi(m[1]), figures);
    EXPECT_EQ(std::stoi(m[2]), 0) << "charts without drawn content";
    int drawn = 0;
    const std::regex each("data-drawn=\"([0-9]+)\"");
    for (auto it = std::sregex_iterator(dom.out.begin(), dom.out.end(), each); it != std::sregex_iterator();
         ++it) {
      EXPECT_GT(std::stoi((*it)[1]), 0);
      ++drawn;
    }
    EXPECT_EQ(drawn, figures);
    // And a real screenshot of the page: a PNG file of some size.
    const std::string png = path(name + ".png");
    const auto shot =
        test::run_command_line("timeout 120 " + chromium + flags +
                               " --window-size=1360,2400 --screenshot=" + png + " file://" + html);
    ASSERT_EQ(shot.exit_code, 0) << shot.err.substr(0, 2000);
    const std::string bytes = test::slurp(png);
    ASSERT_GT(bytes.size(), 20000u);
    EXPECT_EQ(bytes.substr(1, 3), "PNG");
  }
}

}  // namespace gpuscale
