// Fixture for scripts/check_unity_names.py: a helper whose name second.cpp also defines.
namespace distill {
namespace {

int helper(int value) { return value + 1; }

// A raw string's lines are not declarations: the checker must not report `not_a_name`.
const char* kScript = R"(
int not_a_name(int x) { return x; }
)";

}  // namespace

int first() { return helper(1) + (kScript != nullptr); }

}  // namespace distill
