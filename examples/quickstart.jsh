// peft4j in JShell, notebook style. From the repository root, after `mvn -q install -DskipTests`:
//   DJL_OFFLINE=true mvn -q -pl examples org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
//       -Dmdep.outputFile=/tmp/cp.txt -Dmdep.includeScope=test
//   DJL_OFFLINE=true jshell --class-path "$(cat /tmp/cp.txt)" examples/quickstart.jsh
// The classpath holds the dependencies only, not the examples' simplelogger.properties: quiet the
// library's INFO lines and DJL's "Failed to detect GPU count" on a CPU host before the first logger.
System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
System.setProperty("org.slf4j.simpleLogger.log.ai.djl.util.cuda", "error");
import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.lora.LoraConfig;
import io.github.peft4j.models.HfModels;
import io.github.peft4j.models.generation.GenerationConfig;
import io.github.peft4j.models.generation.Generator;
import java.nio.file.Path;
import java.util.List;

// 1. load the bundled base model (a 4-layer Llama trained on the CIA World Factbook) and its tokenizer
var manager = NDManager.newBaseManager();
var base = HfModels.load(Path.of("assets/base-model"), manager);
var tokenizer = base.tokenizer().orElseThrow();

// 2. wrap it with LoRA on the query and value projections: the base freezes, the adapter trains
var model = PeftModel.create(base.block(), LoraConfig.builder().r(8).loraAlpha(16).targetModules("q_proj", "v_proj").build());

// 3. count parameters, as PEFT's print_trainable_parameters() does
System.out.println(model.countParameters());

// 4. generate a few tokens (LoRA's B starts at zero, so this is still the base model's answer)
var prompt = "The capital of France is";
var out = Generator.generate(model, List.of(tokenizer.encode(prompt)), GenerationConfig.greedy(8));
System.out.println(prompt + " ->" + tokenizer.decode(out.tokens().get(0), true));

model.close();
base.close();
manager.close();
/exit
