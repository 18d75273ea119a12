# phi_add_model() and phi_add_pass_plugin(): compile Phi-3.5 models and phi
# pass plugins inside a CMake project. Included by PhiConfig.cmake (installed
# package or build tree) and by phi's own CMakeLists.txt (add_subdirectory,
# FetchContent), so all three see the same functions and target names
# (Phi::phi-compile, Phi::phi_runtime, Phi::headers).
include_guard(GLOBAL)

# phi_add_model(<target> MODEL <file.onnx>
#               [QUANT fp32|fp16|int8|int4] [GROUP_SIZE <n>]
#               [TARGET cpu|onnx] [EMBED_WEIGHTS] [OUTPUT_DIR <dir>]
#               [FLAGS <phi-compile flag>...])
#
# Adds a custom command running phi-compile and a target <target>:
#   TARGET cpu (default): a static library holding the compiled model. Linking
#     it gives the include directory of <target>.h (which defines <target>_def),
#     the runtime (Phi::phi_runtime) and the compile definition
#     <TARGET>_WEIGHTS_PATH="<dir>/<target>.weights"; with EMBED_WEIGHTS the
#     weights are inside the object and <target>.h defines <target>_create().
#   TARGET onnx: a target (built by `all`) whose directory holds model.onnx,
#     model.onnx.data and genai_config.json, for install(DIRECTORY).
# The target's properties PHI_OUTPUT_DIR, PHI_HEADER (cpu) and PHI_WEIGHTS_FILE
# (cpu, not embedded) say where the artifacts are. The model is recompiled
# when the model file, its external data (phi-compile writes a depfile), the
# arguments or the phi-compile binary change, and only then.
function(phi_add_model target)
  string(CONCAT usage "phi_add_model(<target> MODEL <file.onnx> [QUANT fp32|fp16|int8|int4] "
         "[GROUP_SIZE n] [TARGET cpu|onnx] [EMBED_WEIGHTS] [OUTPUT_DIR dir] [FLAGS ...])")
  cmake_parse_arguments(PARSE_ARGV 1 ARG "EMBED_WEIGHTS"
                        "MODEL;QUANT;GROUP_SIZE;TARGET;OUTPUT_DIR" "FLAGS")
  set(where "phi_add_model(${target})")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "${where}: unknown arguments '${ARG_UNPARSED_ARGUMENTS}'. Usage: ${usage}")
  endif()
  list(REMOVE_ITEM ARG_KEYWORDS_MISSING_VALUES FLAGS) # FLAGS may be empty
  if(ARG_KEYWORDS_MISSING_VALUES)
    list(GET ARG_KEYWORDS_MISSING_VALUES 0 kw)
    message(FATAL_ERROR "${where}: ${kw} needs a value. Usage: ${usage}")
  endif()
  if(TARGET ${target})
    message(FATAL_ERROR "${where}: a target named '${target}' already exists")
  endif()
  if(NOT ARG_MODEL)
    message(FATAL_ERROR "${where}: MODEL <file.onnx> is required. Usage: ${usage}")
  endif()
  get_filename_component(model "${ARG_MODEL}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT EXISTS "${model}" OR IS_DIRECTORY "${model}")
    message(FATAL_ERROR "${where}: MODEL '${model}' does not exist")
  endif()
  if(NOT DEFINED ARG_QUANT)
    set(ARG_QUANT fp32)
  endif()
  if(NOT ARG_QUANT MATCHES "^(fp32|fp16|int8|int4)$")
    message(FATAL_ERROR "${where}: QUANT must be fp32, fp16, int8 or int4, not '${ARG_QUANT}'")
  endif()
  if(NOT DEFINED ARG_TARGET)
    set(ARG_TARGET cpu)
  endif()
  if(ARG_TARGET STREQUAL "cuda")
    message(FATAL_ERROR "${where}: TARGET cuda is not available yet in this phi "
                        "(phi-compile has cpu and onnx)")
  elseif(NOT ARG_TARGET MATCHES "^(cpu|onnx)$")
    message(FATAL_ERROR "${where}: TARGET must be cpu or onnx, not '${ARG_TARGET}'")
  endif()
  if(DEFINED ARG_GROUP_SIZE)
    if(NOT ARG_GROUP_SIZE MATCHES "^[0-9]+$")
      message(FATAL_ERROR "${where}: GROUP_SIZE must be a non-negative integer, not '${ARG_GROUP_SIZE}'")
    endif()
    if(NOT ARG_QUANT MATCHES "^int[48]$")
      message(FATAL_ERROR "${where}: GROUP_SIZE needs QUANT int4 or int8 (QUANT is ${ARG_QUANT})")
    endif()
  endif()
  if(ARG_TARGET STREQUAL "cpu")
    if(NOT target MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
      message(FATAL_ERROR "${where}: with TARGET cpu the target name is the C symbol prefix "
                          "(<target>_def) and must be a C identifier")
    endif()
  elseif(ARG_EMBED_WEIGHTS)
    message(FATAL_ERROR "${where}: EMBED_WEIGHTS needs TARGET cpu")
  endif()

  if(NOT ARG_OUTPUT_DIR)
    set(ARG_OUTPUT_DIR "${CMAKE_CURRENT_BINARY_DIR}/${target}")
  endif()
  get_filename_component(out "${ARG_OUTPUT_DIR}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")

  set(args "${model}" --target=${ARG_TARGET} --quant=${ARG_QUANT} -o "${out}")
  if(DEFINED ARG_GROUP_SIZE)
    list(APPEND args --group-size=${ARG_GROUP_SIZE})
  endif()
  if(ARG_TARGET STREQUAL "cpu")
    list(APPEND args --name=${target})
  endif()
  if(ARG_EMBED_WEIGHTS)
    list(APPEND args --embed-weights)
  endif()
  list(APPEND args ${ARG_FLAGS})

  # The arguments go into a stamp the command depends on, rewritten only when
  # they change: a new flag recompiles, an unchanged configure does not.
  set(stamp "${CMAKE_CURRENT_BINARY_DIR}/CMakeFiles/${target}.phi-args")
  string(REPLACE ";" "\n" text "${args}")
  set(old "")
  if(EXISTS "${stamp}")
    file(READ "${stamp}" old)
  endif()
  if(NOT old STREQUAL "${text}\n")
    file(WRITE "${stamp}" "${text}\n")
  endif()

  # In phi's own tree Phi::phi-compile is an alias of the tool being built:
  # depend on the real target so it is built first, with every generator.
  set(compiler_deps "$<TARGET_FILE:Phi::phi-compile>")
  get_target_property(real Phi::phi-compile ALIASED_TARGET)
  if(real)
    list(APPEND compiler_deps ${real})
  endif()

  if(ARG_TARGET STREQUAL "cpu")
    set(first "${out}/${target}.o")
    set(outputs "${first}" "${out}/${target}.h")
    if(NOT ARG_EMBED_WEIGHTS)
      list(APPEND outputs "${out}/${target}.weights")
    endif()
  else()
    # genai_config.json and model.onnx.data exist only for some models, so
    # they cannot be outputs (a missing output reruns the command every build).
    set(first "${out}/model.onnx")
    set(outputs "${first}")
  endif()
  file(RELATIVE_PATH shown "${CMAKE_BINARY_DIR}" "${out}")
  add_custom_command(
    OUTPUT ${outputs}
    COMMAND Phi::phi-compile ${args} --depfile=${out}.d
    DEPENDS "${model}" "${stamp}" ${compiler_deps}
    DEPFILE "${out}.d"
    COMMENT "phi-compile ${ARG_QUANT} ${ARG_TARGET}: ${model} -> ${shown}"
    VERBATIM)

  if(ARG_TARGET STREQUAL "cpu")
    add_library(${target} STATIC ${outputs})
    set_target_properties(${target} PROPERTIES LINKER_LANGUAGE C
      PHI_OUTPUT_DIR "${out}" PHI_HEADER "${out}/${target}.h")
    target_include_directories(${target} INTERFACE "${out}")
    target_link_libraries(${target} INTERFACE Phi::phi_runtime)
    if(NOT ARG_EMBED_WEIGHTS)
      string(TOUPPER "${target}" upper)
      target_compile_definitions(${target} INTERFACE
        "${upper}_WEIGHTS_PATH=\"${out}/${target}.weights\"")
      set_target_properties(${target} PROPERTIES PHI_WEIGHTS_FILE "${out}/${target}.weights")
    endif()
  else()
    add_custom_target(${target} ALL DEPENDS ${outputs})
    set_target_properties(${target} PROPERTIES PHI_OUTPUT_DIR "${out}")
  endif()
endfunction()

# phi_add_pass_plugin(<target> <source>...)
#
# A pass plugin: a shared module that `phi-opt --load-pass-plugin=<file>` and
# `phi-compile --load-pass-plugin=<file> --extra-passes=...` load. It sees
# phi's headers and MLIR's, and links nothing of phi or MLIR: the tool that
# loads it provides both (one copy of every dialect and TypeID). The module
# defines mlirGetPassPluginInfo() (mlir/Tools/Plugins/PassPlugin.h).
function(phi_add_pass_plugin target)
  if(NOT ARGN)
    message(FATAL_ERROR "phi_add_pass_plugin(${target}): no sources. "
                        "Usage: phi_add_pass_plugin(<target> <source>...)")
  endif()
  if(NOT MLIR_INCLUDE_DIRS)
    if(PHI_MLIR_DIR)
      set(MLIR_DIR "${PHI_MLIR_DIR}")
    endif()
    find_package(MLIR REQUIRED CONFIG)
  endif()
  add_library(${target} MODULE ${ARGN})
  target_link_libraries(${target} PRIVATE Phi::headers)
  target_include_directories(${target} SYSTEM PRIVATE ${MLIR_INCLUDE_DIRS} ${LLVM_INCLUDE_DIRS})
  separate_arguments(defs NATIVE_COMMAND "${LLVM_DEFINITIONS}")
  target_compile_options(${target} PRIVATE ${defs})
  if(NOT LLVM_ENABLE_RTTI)
    target_compile_options(${target} PRIVATE -fno-rtti)
  endif()
  set_target_properties(${target} PROPERTIES CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON)
endfunction()
