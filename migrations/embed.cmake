# Writes OUTPUT, a C++ file holding every migrations/<backend>/NNNN_name.sql as a string.
file(GLOB sql_files RELATIVE "${SOURCE_DIR}" "${SOURCE_DIR}/*/*.sql")
list(SORT sql_files)
set(body "")
foreach(rel IN LISTS sql_files)
  get_filename_component(backend "${rel}" DIRECTORY)
  get_filename_component(stem "${rel}" NAME_WE)
  string(REGEX MATCH "^[0-9]+" number "${stem}")
  string(REGEX REPLACE "^[0-9]+_" "" name "${stem}")
  math(EXPR version "${number}")
  file(READ "${SOURCE_DIR}/${rel}" sql)
  string(APPEND body "    {\"${backend}\", ${version}, \"${name}\", R\"larder_sql(${sql})larder_sql\"},\n")
endforeach()
file(WRITE "${OUTPUT}.tmp" "// Generated from migrations/*/*.sql by migrations/embed.cmake. Do not edit.
#include \"migrations/embedded_migrations.h\"

namespace larder::migrations {
namespace {
constexpr Migration kMigrations[] = {
${body}};
}  // namespace

absl::Span<const Migration> AllMigrations() { return kMigrations; }

}  // namespace larder::migrations
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
