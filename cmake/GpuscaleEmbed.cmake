# Compiles a JSON schema into a C++ source: `template` (a .cpp.in with @<VAR>@ inside a raw string)
# is configured into `output` with the text of `schema` in <VAR>. Editing the schema re-runs the
# configure step, so binaries always carry the schema the repository has.
function(gpuscale_embed_schema template output var schema)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${schema}")
  file(READ "${schema}" ${var})
  configure_file("${template}" "${output}" @ONLY)
endfunction()
