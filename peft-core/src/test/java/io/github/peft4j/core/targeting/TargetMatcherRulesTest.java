package io.github.peft4j.core.targeting;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * HF PEFT's matching rules as tables. The cells are the JSON of an {@code adapter_config.json} field
 * (empty = field absent), so each row reads like a Python config. Every expected value was checked
 * against PEFT's own {@code check_target_module_exists} / {@code get_pattern_key} and Python
 * {@code re}; keep regexes free of backslashes ({@code [.]} for a literal dot) so the rows stay
 * readable in both languages.
 */
class TargetMatcherRulesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    // ROWS:matches
    @ParameterizedTest(name = "[{index}] {5} ({6}) <- target={0} exclude={1} layers={2} pattern={3} save={4}: {7}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
        # target_modules                      | exclude_modules          | layers_to_transform | layers_pattern      | modules_to_save         | module path                                  | kind               | expected
        # --- list form: exact or "." + entry suffix, whole segments only ---
        ["q_proj","v_proj"]                   |                          |                     |                     |                         | model.layers.0.self_attn.q_proj              | LINEAR             | true
        ["q_proj","v_proj"]                   |                          |                     |                     |                         | model.layers.0.self_attn.v_proj              | LINEAR             | true
        ["q_proj","v_proj"]                   |                          |                     |                     |                         | model.layers.0.self_attn.k_proj              | LINEAR             | false
        ["q_proj","v_proj"]                   |                          |                     |                     |                         | model.layers.11.mlp.down_proj                | LINEAR             | false
        ["down_proj"]                         |                          |                     |                     |                         | model.layers.11.mlp.down_proj                | LINEAR             | true
        ["proj"]                              |                          |                     |                     |                         | model.layers.0.self_attn.q_proj              | LINEAR             | false
        ["_proj"]                             |                          |                     |                     |                         | model.layers.0.self_attn.q_proj              | LINEAR             | false
        ["self_attn.q_proj"]                  |                          |                     |                     |                         | model.layers.0.self_attn.q_proj              | LINEAR             | true
        ["layers.0.self_attn.q_proj"]         |                          |                     |                     |                         | model.layers.0.self_attn.q_proj              | LINEAR             | true
        ["odel.layers.0.self_attn.q_proj"]    |                          |                     |                     |                         | model.layers.0.self_attn.q_proj              | LINEAR             | false
        ["model.layers.0.self_attn.q_proj"]   |                          |                     |                     |                         | model.layers.0.self_attn.q_proj              | LINEAR             | true
        ["model.layers.0.self_attn.q_proj"]   |                          |                     |                     |                         | model.layers.1.self_attn.q_proj              | LINEAR             | false
        ["q_proj"]                            |                          |                     |                     |                         | model.layers.0.self_attn                     | OTHER              | false
        ["self_attn"]                         |                          |                     |                     |                         | model.layers.0.self_attn.q_proj              | LINEAR             | false
        ["self_attn"]                         |                          |                     |                     |                         | model.layers.0.self_attn                     | OTHER              | true
        ["q_proj"]                            |                          |                     |                     |                         | q_proj                                       | LINEAR             | true
        ["lm_head"]                           |                          |                     |                     |                         | lm_head                                      | OUTPUT_HEAD_LINEAR | true
        ["embed_tokens"]                      |                          |                     |                     |                         | model.embed_tokens                           | EMBEDDING          | true
        ["c_attn"]                            |                          |                     |                     |                         | transformer.h.0.attn.c_attn                  | LINEAR             | true
        ["c_attn"]                            |                          |                     |                     |                         | lm_head                                      | OUTPUT_HEAD_LINEAR | false
        ["c_proj"]                            |                          |                     |                     |                         | transformer.h.3.mlp.c_proj                   | LINEAR             | true
        ["c_proj"]                            |                          |                     |                     |                         | transformer.h.0.attn.c_proj                  | LINEAR             | true
        ["attn.c_proj"]                       |                          |                     |                     |                         | transformer.h.0.attn.c_proj                  | LINEAR             | true
        ["attn.c_proj"]                       |                          |                     |                     |                         | transformer.h.3.mlp.c_proj                   | LINEAR             | false
        ["query","value"]                     |                          |                     |                     |                         | bert.encoder.layer.1.attention.self.query    | LINEAR             | true
        ["dense"]                             |                          |                     |                     |                         | bert.encoder.layer.1.attention.output.dense  | LINEAR             | true
        ["dense"]                             |                          |                     |                     |                         | bert.encoder.layer.1.output.dense            | LINEAR             | true
        ["output.dense"]                      |                          |                     |                     |                         | bert.encoder.layer.1.attention.output.dense  | LINEAR             | true
        ["attention.output.dense"]            |                          |                     |                     |                         | bert.encoder.layer.1.output.dense            | LINEAR             | false
        ["classifier"]                        |                          |                     |                     |                         | classifier                                   | OUTPUT_HEAD_LINEAR | true
        ["up_proj"]                           |                          |                     |                     |                         | model.layers.2.mlp.experts.7.up_proj         | LINEAR             | true
        # --- a string is a regex that must match the whole path ---
        `".*[.](q_proj|v_proj)"`                |                          |                     |                     |                         | model.layers.0.self_attn.q_proj              | LINEAR             | true
        `".*[.](q_proj|v_proj)"`                |                          |                     |                     |                         | model.layers.0.self_attn.k_proj              | LINEAR             | false
        "q_proj"                              |                          |                     |                     |                         | model.layers.0.self_attn.q_proj              | LINEAR             | false
        "model[.]layers[.][0-9]+[.]self_attn[.][qv]_proj" |              |                     |                     |                         | model.layers.0.self_attn.q_proj              | LINEAR             | true
        "model[.]layers[.][0-9]+[.]self_attn[.][qv]_proj" |              |                     |                     |                         | model.layers.11.mlp.down_proj                | LINEAR             | false
        ".*attn[.]c_.*"                       |                          |                     |                     |                         | transformer.h.0.attn.c_attn                  | LINEAR             | true
        ".*attn[.]c_.*"                       |                          |                     |                     |                         | transformer.h.3.mlp.c_proj                   | LINEAR             | false
        "lm_head"                             |                          |                     |                     |                         | lm_head                                      | OUTPUT_HEAD_LINEAR | true
        `"bert.*(query|value)"`                 |                          |                     |                     |                         | bert.encoder.layer.1.attention.self.query    | LINEAR             | true
        "query"                               |                          |                     |                     |                         | bert.encoder.layer.1.attention.self.query    | LINEAR             | false
        ".*[.]experts[.][0-9]+[.]up_proj"     |                          |                     |                     |                         | model.layers.2.mlp.experts.7.up_proj         | LINEAR             | true
        `"model.*(?P<which>q|v)_proj"`          |                          |                     |                     |                         | model.layers.0.self_attn.v_proj              | LINEAR             | true
        # --- all-linear: every LINEAR, never the output head or embeddings ---
        "all-linear"                          |                          |                     |                     |                         | model.layers.0.self_attn.q_proj              | LINEAR             | true
        "all-linear"                          |                          |                     |                     |                         | model.layers.11.mlp.down_proj                | LINEAR             | true
        "all-linear"                          |                          |                     |                     |                         | lm_head                                      | OUTPUT_HEAD_LINEAR | false
        "all-linear"                          |                          |                     |                     |                         | model.embed_tokens                           | EMBEDDING          | false
        "all-linear"                          |                          |                     |                     |                         | model.layers.0.input_layernorm               | OTHER                | false
        "ALL-LINEAR"                          |                          |                     |                     |                         | transformer.h.0.attn.c_attn                  | LINEAR             | true
        "All-Linear"                          |                          |                     |                     |                         | bert.encoder.layer.1.output.dense            | LINEAR             | true
        "all-linear"                          |                          |                     |                     |                         | classifier                                   | OUTPUT_HEAD_LINEAR | false
        "all-linear"                          |                          |                     |                     |                         | model.layers.2.mlp.experts.7.up_proj         | LINEAR             | true
        "all-linear"                          | ".*[.]mlp[.].*"          |                     |                     |                         | model.layers.11.mlp.down_proj                | LINEAR             | false
        "all-linear"                          |                          |                     |                     | ["classifier"]          | classifier                                   | LINEAR             | false
        # --- exclude_modules wins (list: same suffix rule; string: full-match regex; empty: ignored) ---
        ["q_proj","v_proj"]                   | ["v_proj"]               |                     |                     |                         | model.layers.0.self_attn.v_proj              | LINEAR             | false
        ["q_proj","v_proj"]                   | ["v_proj"]               |                     |                     |                         | model.layers.0.self_attn.q_proj              | LINEAR             | true
        ["q_proj"]                            | ".*[.]layers[.]0[.].*"   |                     |                     |                         | model.layers.0.self_attn.q_proj              | LINEAR             | false
        ["q_proj"]                            | ".*[.]layers[.]0[.].*"   |                     |                     |                         | model.layers.1.self_attn.q_proj              | LINEAR             | true
        ".*_proj"                             | ["mlp.down_proj"]        |                     |                     |                         | model.layers.11.mlp.down_proj                | LINEAR             | false
        ".*_proj"                             | ["mlp.down_proj"]        |                     |                     |                         | model.layers.11.mlp.up_proj                  | LINEAR             | true
        ["q_proj"]                            | "q_proj"                 |                     |                     |                         | model.layers.0.self_attn.q_proj              | LINEAR             | true
        ["q_proj"]                            | ["model.layers.0.self_attn.q_proj"] |          |                     |                         | model.layers.0.self_attn.q_proj              | LINEAR             | false
        ["q_proj"]                            | ["proj"]                 |                     |                     |                         | model.layers.0.self_attn.q_proj              | LINEAR             | true
        ["q_proj"]                            | []                       |                     |                     |                         | model.layers.0.self_attn.q_proj              | LINEAR             | true
        ["c_attn","c_proj"]                   | ["attn.c_proj"]          |                     |                     |                         | transformer.h.0.attn.c_proj                  | LINEAR             | false
        ["c_attn","c_proj"]                   | ["attn.c_proj"]          |                     |                     |                         | transformer.h.3.mlp.c_proj                   | LINEAR             | true
        # --- modules_to_save are never targeted: the name as a whole segment, or anything below it ---
        ["classifier","dense"]                |                          |                     |                     | ["classifier"]          | classifier                                   | OUTPUT_HEAD_LINEAR | false
        ["dense"]                             |                          |                     |                     | ["classifier"]          | bert.encoder.layer.1.output.dense            | LINEAR             | true
        ["dense"]                             |                          |                     |                     | ["output"]              | bert.encoder.layer.1.output.dense            | LINEAR             | false
        ["dense"]                             |                          |                     |                     | ["output"]              | bert.encoder.layer.1.attention.output.dense  | LINEAR             | false
        ".*"                                  |                          |                     |                     | ["lm_head"]             | lm_head                                      | OUTPUT_HEAD_LINEAR | false
        ".*"                                  |                          |                     |                     | ["lm_head"]             | model.embed_tokens                           | EMBEDDING          | true
        ["lm_head"]                           |                          |                     |                     | ["head"]                | lm_head                                      | OUTPUT_HEAD_LINEAR | true
        ["c_attn"]                            |                          |                     |                     | ["c_.*"]                | transformer.h.0.attn.c_attn                  | LINEAR             | false
        # --- layers_to_transform, with and without layers_pattern ---
        ["q_proj"]                            |                          | [0]                 |                     |                         | model.layers.0.self_attn.q_proj              | LINEAR             | true
        ["q_proj","down_proj"]                |                          | [0]                 |                     |                         | model.layers.11.mlp.down_proj                | LINEAR             | false
        ["q_proj","down_proj"]                |                          | [0,11]              |                     |                         | model.layers.11.mlp.down_proj                | LINEAR             | true
        ["q_proj"]                            |                          | [1]                 | ["layers"]          |                         | model.layers.1.self_attn.q_proj              | LINEAR             | true
        ["q_proj"]                            |                          | [1]                 | ["h"]               |                         | model.layers.1.self_attn.q_proj              | LINEAR             | false
        ["c_attn"]                            |                          | [0]                 | ["h"]               |                         | transformer.h.0.attn.c_attn                  | LINEAR             | true
        ["c_proj"]                            |                          | [3]                 | ["h"]               |                         | transformer.h.3.mlp.c_proj                   | LINEAR             | true
        ["c_proj"]                            |                          | [0]                 | ["h"]               |                         | transformer.h.3.mlp.c_proj                   | LINEAR             | false
        ["query"]                             |                          | [1]                 | ["layer"]           |                         | bert.encoder.layer.1.attention.self.query    | LINEAR             | true
        ["query"]                             |                          | [1]                 | ["layers","layer"]  |                         | bert.encoder.layer.1.attention.self.query    | LINEAR             | true
        ["query"]                             |                          | [0]                 | ["layers","layer"]  |                         | bert.encoder.layer.1.attention.self.query    | LINEAR             | false
        ["up_proj"]                           |                          | [2]                 |                     |                         | model.layers.2.mlp.experts.7.up_proj         | LINEAR             | true
        ["up_proj"]                           |                          | [7]                 |                     |                         | model.layers.2.mlp.experts.7.up_proj         | LINEAR             | false
        ["up_proj"]                           |                          | [2]                 | ["layers"]          |                         | model.layers.2.mlp.experts.7.up_proj         | LINEAR             | true
        ["up_proj"]                           |                          | [7]                 | ["experts"]         |                         | model.layers.2.mlp.experts.7.up_proj         | LINEAR             | true
        ["lm_head"]                           |                          | [0]                 |                     |                         | model.lm_head                                | OUTPUT_HEAD_LINEAR | false
        # an entry equal to the whole path skips the layer filter in PEFT, so lm_head (no index) still matches
        ["lm_head"]                           |                          | [0]                 |                     |                         | lm_head                                      | OUTPUT_HEAD_LINEAR | true
        ["model.layers.0.self_attn.q_proj"]   |                          | [1]                 |                     |                         | model.layers.0.self_attn.q_proj              | LINEAR             | true
        ["layers.0.self_attn.q_proj"]         |                          | [1]                 |                     |                         | model.layers.0.self_attn.q_proj              | LINEAR             | false
        ["down_proj"]                         |                          | []                  |                     |                         | model.layers.11.mlp.down_proj                | LINEAR             | true
        ["q_proj"]                            |                          | [0]                 | []                  |                         | model.layers.0.self_attn.q_proj              | LINEAR             | true
        ["q"]                                 |                          | [3]                 |                     |                         | layers.3.q                                   | LINEAR             | false
        ["q"]                                 |                          | [2]                 |                     |                         | encoder.block.2.layer.0.SelfAttention.q      | LINEAR             | true
        ["q"]                                 |                          | [2]                 | ["layer"]           |                         | encoder.block.2.layer.0.SelfAttention.q      | LINEAR             | false
        ["q_proj"]                            | ["layers.1.self_attn.q_proj"] | [1]            |                     |                         | model.layers.1.self_attn.q_proj              | LINEAR             | false
        """)
    void matchesLikePeft(String target, String exclude, String layers, String pattern, String save, String path,
            ModuleKind kind, boolean expected) throws Exception {
        TargetMatcher.Builder b = TargetMatcher.builder().targets(JSON.readValue(target, TargetModules.class));
        if (exclude != null) {
            b.exclude(JSON.readValue(exclude, TargetModules.class));
        }
        if (layers != null) {
            b.layersToTransform(JSON.readValue(layers, new TypeReference<List<Integer>>() { }));
        }
        if (pattern != null) {
            b.layersPattern(JSON.readValue(pattern, new TypeReference<List<String>>() { }));
        }
        if (save != null) {
            b.modulesToSave(JSON.readValue(save, new TypeReference<List<String>>() { }));
        }
        TargetMatcher matcher = b.build();
        assertEquals(expected, matcher.matches(path, kind));
        assertEquals(expected, matcher.decide(path, kind) == TargetMatcher.Decision.TARGETED);
    }

    // ROWS:patternKey
    @ParameterizedTest(name = "[{index}] {1} <- keys {0}: {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
        # rank_pattern / alpha_pattern keys, in order | module path                                | matched key (empty: none)
        ["q_proj"]                                    | model.layers.0.self_attn.q_proj            | q_proj
        ["v_proj"]                                    | model.layers.0.self_attn.q_proj            |
        ["proj"]                                      | model.layers.0.self_attn.q_proj            |
        ["self_attn.q_proj"]                          | model.layers.0.self_attn.q_proj            | self_attn.q_proj
        ["model.layers.0.self_attn.q_proj"]           | model.layers.0.self_attn.q_proj            | model.layers.0.self_attn.q_proj
        ["0.self_attn.q_proj"]                        | model.layers.0.self_attn.q_proj            | 0.self_attn.q_proj
        ["0.self_attn.q_proj"]                        | model.layers.10.self_attn.q_proj           |
        ["layers.1.self_attn.q_proj"]                 | model.layers.11.self_attn.q_proj           |
        ["layers.0"]                                  | model.layers.0.self_attn.q_proj            |
        [".*_proj"]                                   | model.layers.11.mlp.down_proj              | .*_proj
        `["q_proj|v_proj"]`                             | model.layers.0.self_attn.v_proj            | `q_proj|v_proj`
        ["q_proj", ".*layers[.]0[.].*"]               | model.layers.0.self_attn.q_proj            | q_proj
        [".*layers[.]0[.].*", "q_proj"]               | model.layers.0.self_attn.q_proj            | .*layers[.]0[.].*
        [".*layers[.]0[.].*", "q_proj"]               | model.layers.5.self_attn.q_proj            | q_proj
        ["h[.][0-3][.]attn[.]c_attn"]                 | transformer.h.3.attn.c_attn                | h[.][0-3][.]attn[.]c_attn
        ["h[.][0-3][.]attn[.]c_attn"]                 | transformer.h.4.attn.c_attn                |
        ["output.dense"]                              | bert.encoder.layer.1.attention.output.dense | output.dense
        ["attention.output.dense"]                    | bert.encoder.layer.1.output.dense          |
        ["experts.7.up_proj", "up_proj"]              | model.layers.2.mlp.experts.7.up_proj       | experts.7.up_proj
        ["experts.7.up_proj", "up_proj"]              | model.layers.2.mlp.experts.6.up_proj       | up_proj
        []                                            | lm_head                                    |
        """)
    void patternKeyLikePeft(String keys, String path, String expected) throws Exception {
        List<String> keyList = JSON.readValue(keys, new TypeReference<List<String>>() { });
        assertEquals(Optional.ofNullable(expected), TargetMatcher.patternKey(keyList, path));
    }

    // ROWS:layerIndex
    @ParameterizedTest(name = "[{index}] {0} with layers_pattern {1}: {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
        # module path                                | layers_pattern (empty: none) | layer index (empty: none)
        model.layers.0.self_attn.q_proj              |                              | 0
        model.layers.11.mlp.down_proj                |                              | 11
        model.layers.11.mlp.down_proj                | ["layers"]                   | 11
        model.layers.11.mlp.down_proj                | ["h"]                        |
        model.layers.11.mlp.down_proj                | []                           | 11
        model.layers.2.mlp.experts.7.up_proj         |                              | 2
        model.layers.2.mlp.experts.7.up_proj         | ["experts"]                  | 7
        model.layers.2.mlp.experts.7.up_proj         | ["experts","layers"]         | 7
        transformer.h.3.mlp.c_proj                   |                              | 3
        transformer.h.3.mlp.c_proj                   | ["h"]                        | 3
        bert.encoder.layer.1.attention.self.query    | ["layer"]                    | 1
        bert.encoder.layer.1.attention.self.query    |                              | 1
        encoder.block.2.layer.0.SelfAttention.q      |                              | 2
        encoder.block.2.layer.0.SelfAttention.q      | ["layer"]                    | 0
        encoder.block.2.layer.0.SelfAttention.q      | `["(?:block|layer)"]`          | 2
        model.decoder.layers.5.fc1                   | ["layers"]                   | 5
        model.layers.7                               |                              |
        layers.3.q                                   |                              |
        layers.3.q                                   | ["layers"]                   |
        lm_head                                      |                              |
        model.embed_tokens                           |                              |
        model.layers.99999999999.q_proj              |                              |
        """)
    void layerIndexLikePeft(String path, String patterns, Integer expected) throws Exception {
        List<String> patternList = patterns == null ? null : JSON.readValue(patterns, new TypeReference<List<String>>() { });
        OptionalInt want = expected == null ? OptionalInt.empty() : OptionalInt.of(expected);
        assertEquals(want, TargetMatcher.layerIndex(path, patternList));
    }

    // ROWS:pyregex
    @ParameterizedTest(name = "[{index}] fullmatch({0}, {1}) = {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
        # Python regex                 | input       | re.fullmatch succeeds
        `(?P<proj>q|v)_proj`           | v_proj      | true
        `(?P<proj>q|v)_proj`           | k_proj      | false
        (?P<x>a)b(?P=x)                | aba         | true
        (?P<x>a)b(?P=x)                | abb         | false
        (?P<x_1>a)(?P=x_1)1            | aa1         | true
        a{,2}                          | aa          | true
        a{,2}                          | aaa         | false
        a{2,}                          | aaa         | true
        a{,}                           | aaaa        | true
        a{}                            | a{}         | true
        a{x}                           | a{x}        | true
        a{1                            | a{1         | true
        x}                             | x}          | true
        [[]x                           | [x          | true
        [a&&b]                         | &           | true
        []a]                           | ]           | true
        [^]a]                          | b           | true
        [^]a]                          | ]           | false
        q(?#a comment)_proj            | q_proj      | true
        ab\\Z                          | ab          | true
        \\d+                           | ٣٤          | true
        \\w+                           | ÄÖé         | true
        (?i)Q_PROJ                     | q_proj      | true
        `a|ab`                         | ab          | true
        """)
    void pythonRegexDialect(String regex, String input, boolean expected) {
        assertEquals(expected, PyRegex.compile(regex).matcher(input).matches(), () -> PyRegex.translate(regex));
    }
}
