// The effective YAML flattened into recipe entries: sections, list indices, exclusions.
#include "distill/config/config_recipe.h"

#include <gtest/gtest.h>

#include "distill/core/error.h"

namespace distill::config {
namespace {

const char* kYaml = R"(
seed: 3
threads: 2
data: {source: fashion-mnist, train_limit: 600}
data_extra: 1
student:
  model: {type: mlp, hidden: [100, 50]}
distill:
  temperature: 4
  cache_dir: /tmp/cache
  features:
    - {kind: hint, student: hidden1, teacher: hidden2}
  extra_teachers: []
)";

TEST(ConfigRecipe, FlattensTheNamedSectionsWithListIndices) {
  const RunRecipe recipe = config_recipe(kYaml, "test", {"seed", "data", "student", "distill"},
                                         {"distill.cache_dir"});
  EXPECT_EQ(recipe.to_text(),
            "data.source = fashion-mnist\n"
            "data.train_limit = 600\n"
            "distill.extra_teachers = []\n"
            "distill.features[0].kind = hint\n"
            "distill.features[0].student = hidden1\n"
            "distill.features[0].teacher = hidden2\n"
            "distill.temperature = 4\n"
            "seed = 3\n"
            "student.model.hidden[0] = 100\n"
            "student.model.hidden[1] = 50\n"
            "student.model.type = mlp\n");
}

TEST(ConfigRecipe, ASectionIsAWholeKeyNotAPrefixOfOne) {
  const RunRecipe recipe = config_recipe(kYaml, "test", {"data", "student.model.hidden"});
  EXPECT_EQ(recipe.entries().count("data_extra"), 0u);
  EXPECT_EQ(recipe.entries().count("student.model.type"), 0u);
  EXPECT_EQ(recipe.entries().at("student.model.hidden[1]"), "50");
}

TEST(ConfigRecipe, InvalidYamlNamesTheSource) {
  try {
    config_recipe("a: [1, 2", "run/config.yaml", {"a"});
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("config 'run/config.yaml' is not valid YAML"),
              std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace distill::config
