// Fixture for scripts/check_unity_names.py: an overload of first.cpp's helper, which in one
// unity batch would take calls meant for it.
namespace distill {
namespace {

double helper(double value) { return value * 2; }

const char* kOther = R"py(
int not_a_name(int x) { return x; }
)py";

}  // namespace

double second() { return helper(1.0) + (kOther != nullptr); }

}  // namespace distill
