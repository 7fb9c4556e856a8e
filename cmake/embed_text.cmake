# Writes a C++ source defining a function that returns the text of a file, so the CLI carries
# its default config. Usage: cmake -DINPUT=... -DOUTPUT=... -DFUNCTION=... -P embed_text.cmake
file(READ "${INPUT}" CONTENT)
set(DELIMITER "distill_embedded")
file(WRITE "${OUTPUT}.tmp"
"// Generated from ${INPUT} by cmake/embed_text.cmake; do not edit.\n"
"#include <string>\n\n"
"namespace distill::config {\n"
"const std::string& ${FUNCTION}() {\n"
"  static const std::string text = R\"${DELIMITER}(${CONTENT})${DELIMITER}\";\n"
"  return text;\n"
"}\n"
"}  // namespace distill::config\n")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
