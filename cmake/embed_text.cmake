# Writes a C++ source defining a function that returns the text of a file, so a program carries
# it (the default config, the report's template, script and Chart.js).
# Usage: cmake -DINPUT=... -DOUTPUT=... -DFUNCTION=... [-DNAMESPACE=...] -P embed_text.cmake
if(NOT NAMESPACE)
  set(NAMESPACE "distill::config")
endif()
file(READ "${INPUT}" CONTENT)
set(DELIMITER "distill_embedded")
string(FIND "${CONTENT}" ")${DELIMITER}\"" CLASH)
if(NOT CLASH EQUAL -1)
  message(FATAL_ERROR "${INPUT} holds the raw-string delimiter ')${DELIMITER}\"'; pick another")
endif()
file(WRITE "${OUTPUT}.tmp"
"// Generated from ${INPUT} by cmake/embed_text.cmake; do not edit.\n"
"#include <string>\n\n"
"namespace ${NAMESPACE} {\n"
"const std::string& ${FUNCTION}() {\n"
"  static const std::string text = R\"${DELIMITER}(${CONTENT})${DELIMITER}\";\n"
"  return text;\n"
"}\n"
"}  // namespace ${NAMESPACE}\n")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
