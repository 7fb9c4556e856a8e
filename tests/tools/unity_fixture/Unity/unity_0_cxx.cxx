/* a unity batch as CMake writes one, with the fixture's two sources */

#include "../first.cpp"

#include "../second.cpp"
