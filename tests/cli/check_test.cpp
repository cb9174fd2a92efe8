// gpuscale check: node acceptance from the document alone, on FIXTURE nodes of eight GPUs with
// planted faults (a downtrained PCIe link, a throttled GPU, a slow GPU, a power cap, a peer pair over
// PCIe, MIG on, ECC off), against the datasheet profile, a reference run and a profile file. The
// JSON output is checked against results/schema/check-output.schema.json.
#include <gtest/gtest.h>

#include <set>

#include "fixture_docs.hpp"

namespace gpuscale {
using nlohmann::json;

namespace {

class Check : public test::FixtureDir {
 protected:
  json check_json(const std::string& args, int expected_exit) {
    const auto r = gpuscale("check " + args + " --format json");
    EXPECT_EQ(r.exit_code, expected_exit) << args << "\n" << r.err << r.out.substr(0, 2000);
    json j;
    try {
      j = json::parse(r.out);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "not JSON: " << e.what() << "\n" << r.out.substr(0, 400) << r.err;
      return json::object();
    }
    const auto problems = validate_json(schema("check-output.schema.json"), j);
    EXPECT_TRUE(problems.empty()) << problems.front();
    EXPECT_EQ(j["exit_code"], expected_exit);
    return j;
  }
  // The status of `item` for `subject` ("" when there is no such item).
  static std::string status(const json& j, const std::string& subject, const std::string& item) {
    for (const auto& i : j["items"])
      if (i["subject"] == subject && i["item"] == item) return i["status"];
    return "";
  }
  static const json* find(const json& j, const std::string& subject, const std::string& item) {
    for (const auto& i : j["items"])
      if (i["subject"] == subject && i["item"] == item) return &i;
    return nullptr;
  }
  // Subjects with a failing item.
  static std::set<std::string> failing(const json& j) {
    std::set<std::string> s;
    for (const auto& i : j["items"])
      if (i["status"] == "fail")
        s.insert(i["subject"].get<std::string>() + " " + i["item"].get<std::string>());
    return s;
  }
  std::string node(const std::string& name, const std::string& plants = "") {
    return fixture(name, "--sku h200-sxm-141gb --gpus 8 " + plants);
  }
};

}  // namespace

TEST_F(Check, AHealthyFixtureNodePassesAgainstTheDatasheet) {
  const json j = check_json(node("ok.json"), 0);
  EXPECT_EQ(j["result"], "pass");
  EXPECT_TRUE(failing(j).empty()) << *failing(j).begin();
  EXPECT_EQ(j["expectation"]["kind"], "datasheet");
  EXPECT_EQ(j["expectation"]["tolerance_pct"], 10);
  EXPECT_TRUE(j["fixture"].get<bool>());
  for (int g = 0; g < 8; ++g) {
    const std::string s = "gpu" + std::to_string(g);
    for (const char* item : {"pcie link", "power limit", "mig mode", "throttling", "memory vs expected",
                             "memory vs peers", "gemm vs expected", "gemm vs peers", "transfer vs expected"})
      EXPECT_EQ(status(j, s, item), "pass") << s << " " << item;
  }
  EXPECT_EQ(status(j, "node", "nvlink / peer access"), "pass");
  EXPECT_EQ(status(j, "node", "collective vs expected"), "pass");
  for (int g = 0; g < 8; ++g)
    for (const char* item : {"memory errors", "nvlink links", "clock events"})
      EXPECT_EQ(status(j, "gpu" + std::to_string(g), item), "pass") << g << " " << item;
  // Each expectation names its source: the published HBM figure of the H200.
  const json* hbm = find(j, "gpu0", "memory vs expected");
  ASSERT_NE(hbm, nullptr);
  bool cited = false;
  for (const auto& c : (*hbm)["checks"])
    cited |= c["source"].get<std::string>().find("gpu-benches") != std::string::npos;
  EXPECT_TRUE(cited) << hbm->dump();
}

TEST_F(Check, APlantedDowntrainedPcieLinkFails) {
  const json j = check_json(node("x8.json", "--pcie 5:5:8"), 1);
  EXPECT_EQ(status(j, "gpu5", "pcie link"), "fail");
  EXPECT_EQ((*find(j, "gpu5", "pcie link"))["figure"], "Gen5 x8");
  EXPECT_EQ((*find(j, "gpu5", "pcie link"))["expected"], "Gen5 x16");
  EXPECT_EQ(failing(j), std::set<std::string>{"gpu5 pcie link"});
}

TEST_F(Check, ALowerPcieGenerationFailsOnlyWithShortHostCopies) {
  // Gen3 and host copies at 30%: a downtrained link.
  json j = check_json(node("gen3.json", "--pcie 2:3:16 --slow 2:0.3:transfer"), 1);
  EXPECT_EQ(status(j, "gpu2", "pcie link"), "fail");
  EXPECT_NE((*find(j, "gpu2", "pcie link"))["detail"].get<std::string>().find("host copies short"),
            std::string::npos);
  EXPECT_EQ(status(j, "gpu2", "transfer vs peers"), "fail");
  // Gen3 when read but copies at full rate: an idle link that trained down, a warning.
  j = check_json(node("idle.json", "--pcie 2:3:16"), 0);
  EXPECT_EQ(status(j, "gpu2", "pcie link"), "warn");
}

TEST_F(Check, APlantedThrottledGpuFails) {
  const json j = check_json(node("hot.json", "--throttle 6"), 1);
  EXPECT_EQ(status(j, "gpu6", "throttling"), "fail");
  EXPECT_NE(
      (*find(j, "gpu6", "throttling"))["detail"].get<std::string>().find("lowest SM clock 1386 MHz of 1980"),
      std::string::npos)
      << find(j, "gpu6", "throttling")->dump();
  for (int g : {0, 1, 2, 3, 4, 5, 7}) EXPECT_EQ(status(j, "gpu" + std::to_string(g), "throttling"), "pass");
  EXPECT_EQ(failing(j), std::set<std::string>{"gpu6 throttling"});
}

TEST_F(Check, APlantedSlowGpuAmongEightFailsAgainstItsPeers) {
  const json j = check_json(node("slow.json", "--slow 3:0.8"), 1);
  EXPECT_EQ(status(j, "gpu3", "memory vs peers"), "fail");
  EXPECT_EQ(status(j, "gpu3", "gemm vs peers"), "fail");
  EXPECT_EQ(status(j, "gpu3", "transfer vs peers"), "fail");
  const json* m = find(j, "gpu3", "memory vs peers");
  for (const auto& c : (*m)["checks"]) EXPECT_NEAR(c["deviation_pct"].get<double>(), -20, 1.5) << c.dump();
  for (int g : {0, 1, 2, 4, 5, 6, 7}) {
    EXPECT_EQ(status(j, "gpu" + std::to_string(g), "memory vs peers"), "pass") << g;
    EXPECT_EQ(status(j, "gpu" + std::to_string(g), "gemm vs peers"), "pass") << g;
  }
  // Its peer copies (the pairs it sends from) are slower than the other pairs.
  EXPECT_EQ(status(j, "node", "peer bw copy_engine"), "fail");
  EXPECT_NE((*find(j, "node", "peer bw copy_engine"))["detail"].get<std::string>().find("src:3/dst:0"),
            std::string::npos);
  // 80% of the published figure is at the edge of the datasheet range (fails below 80%): not pass.
  EXPECT_NE(status(j, "gpu3", "memory vs expected"), "pass");
}

TEST_F(Check, PowerCapPeerOverPcieMigAndEccAreReported) {
  const std::string f = node("cfg.json", "--power-limit 1:500 --peer-link 0:3:pcie --peer-link 3:0:pcie");
  json j = check_json(f, 1);
  EXPECT_EQ(status(j, "gpu1", "power limit"), "fail");
  EXPECT_EQ(status(j, "node", "nvlink / peer access"), "fail");
  EXPECT_NE((*find(j, "node", "nvlink / peer access"))["detail"].get<std::string>().find("src:0/dst:3"),
            std::string::npos);
  // The two pairs over PCIe are also slower than the other 54 pairs.
  EXPECT_EQ(status(j, "node", "peer bw copy_engine"), "fail");
  EXPECT_EQ(failing(j), (std::set<std::string>{"gpu1 power limit", "node nvlink / peer access",
                                               "node peer bw copy_engine"}));
  json doc = read_json_file(f);
  doc["gpus"][4]["mig_enabled"] = true;
  doc["gpus"][5]["ecc_enabled"] = false;
  doc["gpus"][6].erase("pcie");
  write_file_atomic(path("mig.json"), doc.dump());
  j = check_json(path("mig.json"), 1);
  EXPECT_EQ(status(j, "gpu4", "mig mode"), "fail");
  EXPECT_EQ(status(j, "gpu5", "ecc mode"), "warn");
  EXPECT_EQ(status(j, "gpu6", "pcie link"), "n/a");
}

TEST_F(Check, MemoryErrorsNvlinkLinksAndClockEventsAreReported) {
  const std::string healthy = node("health.json");
  json doc = read_json_file(healthy);
  doc["gpus"][1]["health"]["ecc_uncorrected_volatile"] = 2;
  doc["gpus"][2]["health"]["row_remap_pending"] = true;
  doc["gpus"][3]["health"]["ecc_uncorrected_aggregate"] = 5;
  doc["gpus"][3]["health"]["remapped_rows_uncorrectable"] = 2;
  doc["gpus"][4]["health"]["nvlink_links_active"] = 16;
  doc["gpus"][7].erase("health");
  auto plant = [&doc](int gpu, const char* reason) {
    for (auto& b : doc["benchmarks"])
      if (b.value("gpu_index", -1) == gpu && b.contains("environment")) {
        b["environment"]["clock_events"] = json::array({reason});
        return;
      }
  };
  plant(5, "hw_thermal_slowdown");
  plant(6, "sw_thermal_slowdown");
  plant(0, "sw_power_cap");
  for (auto& b : doc["benchmarks"])
    if (b.value("gpu_index", -1) == 7 && b.contains("environment")) b["environment"].erase("clock_events");
  write_file_atomic(path("faults.json"), doc.dump());
  const json j = check_json(path("faults.json"), 1);
  EXPECT_EQ(status(j, "gpu1", "memory errors"), "fail");
  EXPECT_EQ(status(j, "gpu2", "memory errors"), "fail");
  EXPECT_EQ(status(j, "gpu3", "memory errors"), "warn");
  EXPECT_EQ(status(j, "gpu4", "nvlink links"), "fail");
  EXPECT_EQ((*find(j, "gpu4", "nvlink links"))["figure"], "16 of 18 active");
  EXPECT_EQ(status(j, "gpu5", "clock events"), "fail");
  EXPECT_NE((*find(j, "gpu5", "clock events"))["detail"].get<std::string>().find("hw_thermal_slowdown"),
            std::string::npos);
  EXPECT_EQ(status(j, "gpu6", "clock events"), "warn");
  EXPECT_EQ(status(j, "gpu0", "clock events"), "pass");  // the power cap under load is normal
  // Not recorded: said, not guessed.
  for (const char* item : {"memory errors", "nvlink links", "clock events"})
    EXPECT_EQ(status(j, "gpu7", item), "n/a") << item;
  EXPECT_EQ(failing(j), (std::set<std::string>{"gpu1 memory errors", "gpu2 memory errors",
                                               "gpu4 nvlink links", "gpu5 clock events"}));

  // A row that could not be remapped fails even with no error counted since the driver loaded.
  doc = read_json_file(healthy);
  doc["gpus"][0]["health"]["row_remap_failed"] = true;
  write_file_atomic(path("remap.json"), doc.dump());
  EXPECT_EQ(status(check_json(path("remap.json"), 1), "gpu0", "memory errors"), "fail");
}

TEST_F(Check, AgainstAReferenceRunOfTheSameSku) {
  const std::string ref = node("ref.json", "--seed 1");
  const std::string slow = node("new.json", "--seed 2 --scale 0.85");
  json j = check_json(slow + " --expect " + ref, 1);
  EXPECT_EQ(j["expectation"]["kind"], "reference");
  EXPECT_EQ(j["expectation"]["tolerance_pct"], 5);
  for (int g = 0; g < 8; ++g) {
    EXPECT_EQ(status(j, "gpu" + std::to_string(g), "memory vs expected"), "fail");  // 85% < 90%
    EXPECT_EQ(status(j, "gpu" + std::to_string(g), "memory vs peers"), "pass");     // all alike
  }
  j = check_json(slow + " --expect " + ref + " --tolerance-pct 10", 0);
  EXPECT_EQ(status(j, "gpu0", "memory vs expected"), "warn");  // between 80% and 90%
  EXPECT_EQ(check_json(node("same.json", "--seed 3") + " --expect=" + ref, 0)["result"], "pass");
  // A reference of another SKU is refused by name.
  const std::string a100 = fixture("a100.json", "--sku a100-sxm-80gb --gpus 1");
  const auto r = gpuscale("check " + slow + " --expect " + a100);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("a reference run of a100-sxm-80gb"), std::string::npos) << r.err;
}

TEST_F(Check, AgainstAProfileFile) {
  const std::string profile = path("h200.profile.json");
  const auto made = gpuscale("calibrate --builtin h200-sxm-141gb -o " + profile);
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const json j = check_json(node("ok.json") + " --expect " + profile, 0);
  EXPECT_EQ(j["expectation"]["kind"], "profile");
  EXPECT_EQ(status(j, "gpu0", "memory vs expected"), "pass");
}

TEST_F(Check, ARunWithoutGpusHasNothingToAcceptAndBadInputExitsTwo) {
  json doc = read_json_file(node("ok.json"));
  doc["gpus"] = json::array();
  doc["benchmarks"] = json::array();
  doc["run"]["backend"] = "host";
  write_file_atomic(path("host.json"), doc.dump());
  const json j = check_json(path("host.json"), 1);
  EXPECT_EQ(status(j, "node", "gpus"), "fail");
  EXPECT_EQ(gpuscale("check " + path("missing.json")).exit_code, 2);
  EXPECT_EQ(gpuscale("check " + path("host.json") + " --frobnicate").exit_code, 2);
  EXPECT_EQ(gpuscale("check " + path("host.json") + " --tolerance-pct nan").exit_code, 2);
  EXPECT_EQ(gpuscale("check").exit_code, 2);
  // The table says the same as the JSON, one line per item, and exits 1.
  const auto t = gpuscale("check " + node("x8.json", "--pcie 5:5:8"));
  EXPECT_EQ(t.exit_code, 1);
  EXPECT_NE(t.out.find("FAIL  gpu5       pcie link              Gen5 x8"), std::string::npos)
      << t.out.substr(0, 3000);
  EXPECT_NE(t.out.find("summary: "), std::string::npos);
  EXPECT_NE(t.out.find(": FAIL"), std::string::npos);
}

}  // namespace gpuscale
