/**
 * Which modules of a base model a PEFT method adapts, with exactly the rules of Hugging Face PEFT
 * ({@code tuners_utils.py::check_target_module_exists}, {@code utils/other.py::get_pattern_key}),
 * so that an {@code adapter_config.json} written in Python selects the same modules here.
 *
 * <pre>{@code
 * TargetMatcher matcher = TargetMatcher.builder()
 *         .targets(TargetModules.names("q_proj", "v_proj"))
 *         .build();
 * List<String> wrapped = matcher.select(modulePaths, kindByPath::get);
 * int r = TargetMatcher.resolveInt(rankPattern, wrapped.get(0), 8);
 * }</pre>
 */
package io.github.peft4j.core.targeting;
