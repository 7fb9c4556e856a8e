#!/usr/bin/env python3
"""Fails when two source files compiled in one unity batch define the same file-scope name.

With DISTILL_UNITY_BUILD, CMake compiles batches of .cpp files as one translation unit
(<build>/**/Unity/unity_N_cxx.cxx, each #including its sources). A helper in one file's anonymous
namespace (or `static`) is then visible to the files after it: a second definition with the same
signature fails to compile, but one with a different signature is an overload, and a call in the
other file may silently pick it (this happened: `mlp(int64_t, seed = 1)` took calls to
`mlp({5}, 2)` meant for another file's `mlp(std::vector<int64_t>, int64_t)`). So names defined at
file scope must differ between the files of a batch.

Reads the sources' top-level lines (distill's style puts file-scope declarations at column 0,
namespaces unindented): inside `namespace {`, every function, type, alias and variable defined
there; outside it, `static` functions and variables. Usage: check_unity_names.py BUILD_DIR
"""
import collections
import pathlib
import re
import sys

INCLUDE = re.compile(r'^#include\s+"([^"]+)"')
RAW_STRING_OPEN = re.compile(r'R"([^()\\ ]{0,16})\(')  # R"delim( ... )delim"
ANONYMOUS_OPEN = re.compile(r'^namespace\s*\{')
NAMESPACE_CLOSE = re.compile(r'^\}\s*//\s*namespace\s*$')
TYPE = re.compile(r'^(?:template\s*<[^>]*>\s*)?(?:struct|class|enum(?:\s+class)?|union)\s+(\w+)\s*(?:final\s*)?[:{]')
ALIAS = re.compile(r'^(?:template\s*<[^>]*>\s*)?using\s+(\w+)\s*=')
# A declaration that starts at column 0 with a type and names something followed by `(` (a
# function) or by `=`, `{`, `[` or `;` (a variable), e.g. `const Foo& bar(`, `constexpr int kX =`.
DECLARATION = re.compile(
    r'^(?!return\b|if\b|for\b|while\b|switch\b|case\b|default\b|namespace\b|using\b|TEST|INSTANTIATE|'
    r'BENCHMARK|DISTILL_|#|//|/\*|\*|\}|public:|private:|protected:)'
    r'(?:template\s*<[^>]*>\s*)?'
    r'[A-Za-z_][\w:<>,\s\*&]*?[\s\*&>]'  # the type
    r'(?!operator\b)([A-Za-z_]\w*)\s*(\(|=|\{|\[|;)')


def file_scope_names(path):
    """Names a source defines in its anonymous namespaces, or `static`, at file scope."""
    names = set()
    anonymous_depth = 0
    try:
        lines = pathlib.Path(path).read_text(encoding='utf-8', errors='replace').splitlines()
    except OSError:
        return names
    raw_string_end = None  # the closing delimiter while inside a raw string literal
    for line in lines:
        if raw_string_end is not None:
            if raw_string_end in line:
                raw_string_end = None
            continue
        opened = RAW_STRING_OPEN.search(line)
        if opened and f'){opened.group(1)}"' not in line[opened.end():]:
            raw_string_end = f'){opened.group(1)}"'
        if ANONYMOUS_OPEN.match(line):
            anonymous_depth += 1
            continue
        if NAMESPACE_CLOSE.match(line) and anonymous_depth > 0:
            anonymous_depth -= 1
            continue
        if not line or line[0].isspace():
            continue
        is_static = line.startswith('static ')
        if anonymous_depth == 0 and not is_static:
            continue
        for pattern in (TYPE, ALIAS, DECLARATION):
            match = pattern.match(line)
            if match:
                names.add(match.group(1))
                break
    return names


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    build = pathlib.Path(argv[1])
    batches = sorted(build.glob('**/Unity/unity_*_cxx.cxx'))
    if not batches:
        print(f'check_unity_names: no unity batches under {build} '
              '(configure with -DDISTILL_UNITY_BUILD=ON)', file=sys.stderr)
        return 2
    clashes = []
    for batch in batches:
        sources = [str((batch.parent / m.group(1)) if not pathlib.Path(m.group(1)).is_absolute()
                       else m.group(1))
                   for m in map(INCLUDE.match, batch.read_text().splitlines()) if m]
        where = collections.defaultdict(list)
        for source in sources:
            for name in file_scope_names(source):
                where[name].append(source)
        for name, files in sorted(where.items()):
            if len(files) > 1:
                clashes.append((batch, name, files))
    for batch, name, files in clashes:
        print(f'{batch}: `{name}` is defined at file scope in {len(files)} files of this batch: '
              + ', '.join(files), file=sys.stderr)
    if clashes:
        print(f'check_unity_names: {len(clashes)} name(s) shared within a unity batch; rename them so '
              'each file\'s helpers have names of their own (see DISTILL_UNITY_BUILD in '
              'CMakeLists.txt)', file=sys.stderr)
        return 1
    print(f'check_unity_names: {len(batches)} unity batches, no file-scope name defined twice')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
