#include "gemm/suite.hpp"

namespace gpuscale::bench::gemm {
namespace {

void add_common_axes(std::vector<std::pair<std::string, std::string>>& axes, Precision p, bool fast_accum) {
  if (p == Precision::fp8_e4m3) axes.emplace_back("fast_accum", fast_accum ? "on" : "off");
}

nlohmann::json precision_parameters(Precision p, bool fast_accum) {
  const PrecisionInfo& i = info(p);
  nlohmann::json j = {{"precision", i.name},
                      {"input_type", i.input_type},
                      {"output_type", i.output_type},
                      {"compute_type", i.compute},
                      {"layout", "TN"},
                      {"data", data_pattern(p)}};
  if (p == Precision::fp8_e4m3) {
    j["fast_accum"] = fast_accum;
    j["input_scale"] = 1.0 / i.input_scale;
  }
  return j;
}

GemmCase square(Precision p, int64_t size, bool fast_accum = false, bool autotune = false) {
  GemmCase c;
  c.precision = p;
  c.fast_accum = fast_accum;
  c.shape = {size, size, size};
  c.autotune = autotune;
  return c;
}

MamfCase mamf(Precision p, std::string_view suite, bool fast_accum = false) {
  return {p, fast_accum, mamf_space(suite)};
}

}  // namespace

BenchmarkId GemmCase::id() const {
  BenchmarkId id{"gemm", false, std::string(to_string(precision)), {}};
  if (!model.empty()) {
    id.axes = {{"model", model},
               {"op", op},
               {"pass", std::string(to_string(pass))},
               {"tokens", std::to_string(tokens)}};
  }
  id.axes.emplace_back("m", std::to_string(shape.m));
  id.axes.emplace_back("n", std::to_string(shape.n));
  id.axes.emplace_back("k", std::to_string(shape.k));
  add_common_axes(id.axes, precision, fast_accum);
  if (autotune) id.axes.emplace_back("algo", "autotune");
  return id;
}

nlohmann::json GemmCase::parameters() const {
  nlohmann::json j = precision_parameters(precision, fast_accum);
  j["m"] = shape.m;
  j["n"] = shape.n;
  j["k"] = shape.k;
  j["algo_selection"] =
      autotune ? "autotune top-" + std::to_string(kAutotuneCandidates) : std::string("heuristic");
  if (!model.empty()) {
    j["model"] = model;
    j["op"] = op;
    j["pass"] = std::string(to_string(pass));
    j["tokens"] = tokens;
    j["in_features"] = in_features;
    j["out_features"] = out_features;
  }
  return j;
}

BenchmarkId MamfCase::id() const {
  BenchmarkId id{"gemm", false, "mamf", {{"precision", std::string(to_string(precision))}}};
  add_common_axes(id.axes, precision, fast_accum);
  return id;
}

nlohmann::json MamfCase::parameters() const {
  nlohmann::json j = precision_parameters(precision, fast_accum);
  j["search_space"] = space.to_json();
  j["algo_selection"] = "heuristic";
  return j;
}

Work gemm_work(Precision p, const GemmShape& shape) {
  Work w;
  w.flops = gemm_flops(shape);
  w.peak = std::string(info(p).peak);
  return w;
}

nlohmann::json mamf_shape_parameters(const GemmShape& shape) {
  return {{"m", shape.m}, {"n", shape.n}, {"k", shape.k}};
}

std::vector<GemmCase> layer_cases(const ModelConfig& model, int64_t tokens, Precision precision) {
  std::vector<GemmCase> out;
  for (const LayerGemm& g : layer_gemms(model, tokens)) {
    GemmCase c;
    c.precision = precision;
    c.fast_accum = precision == Precision::fp8_e4m3 && g.pass == Pass::fwd;
    c.shape = g.shape;
    c.model = std::string(model.name);
    c.op = std::string(g.op);
    c.pass = g.pass;
    c.tokens = tokens;
    c.in_features = g.in;
    c.out_features = g.out;
    out.push_back(std::move(c));
  }
  return out;
}

Suite gemm_suite(std::string_view suite) {
  Suite s;
  const bool full = suite == "full";
  const auto sizes = square_sizes(suite);
  using P = Precision;
  if (full) {
    for (int64_t n : sizes) {
      for (P p : {P::fp32, P::tf32, P::fp16, P::bf16}) s.gemms.push_back(square(p, n));
      s.gemms.push_back(square(P::fp8_e4m3, n, true));
      s.gemms.push_back(square(P::fp8_e4m3, n, false));
    }
    for (int64_t n : {2048, 4096, 8192, 16384}) {
      s.gemms.push_back(square(P::bf16, n, false, true));
      s.gemms.push_back(square(P::fp8_e4m3, n, true, true));
    }
    for (const ModelConfig& m : models())
      for (int64_t t : token_counts(suite))
        for (P p : {P::bf16, P::fp8_e4m3})
          for (GemmCase& c : layer_cases(m, t, p)) s.gemms.push_back(std::move(c));
    s.mamf = {mamf(P::bf16, suite), mamf(P::fp16, suite), mamf(P::fp8_e4m3, suite, true),
              mamf(P::fp8_e4m3, suite, false)};
  } else {
    for (int64_t n : sizes) {
      for (P p : {P::bf16, P::fp16, P::tf32}) s.gemms.push_back(square(p, n));
      s.gemms.push_back(square(P::fp8_e4m3, n, true));
    }
    s.gemms.push_back(square(P::fp8_e4m3, 8192, false));
    s.gemms.push_back(square(P::bf16, 8192, false, true));
    s.gemms.push_back(square(P::fp8_e4m3, 8192, true, true));
    for (GemmCase& c : layer_cases(*find_model("llama-3-8b"), 4096, P::bf16)) s.gemms.push_back(std::move(c));
    s.mamf = {mamf(P::bf16, suite), mamf(P::fp8_e4m3, suite, true)};
  }
  return s;
}

}  // namespace gpuscale::bench::gemm
