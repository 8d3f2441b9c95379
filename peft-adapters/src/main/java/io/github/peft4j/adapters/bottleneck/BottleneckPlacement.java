package io.github.peft4j.adapters.bottleneck;

import io.github.peft4j.core.PeftConfigException;
import io.github.peft4j.core.InjectionContext;
import io.github.peft4j.core.targeting.TargetMatcher;
import io.github.peft4j.core.targeting.TargetModules;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where bottleneck adapters go, found by module-path patterns rather than per-model code.
 *
 * <p><b>Sequential adapters</b> wrap the output projection of a sub-block: the attention output
 * projection (BERT {@code attention.output.dense}, GPT-2 {@code attn.c_proj}, Llama
 * {@code self_attn.o_proj}) for {@code mh_adapter}, and the feed-forward output projection (BERT
 * {@code layer.<i>.output.dense}, GPT-2 {@code mlp.c_proj}, Llama {@code mlp.down_proj}) for
 * {@code output_adapter}. With {@code h} the projection's output the wrapped module returns
 * {@code h + s·up(act(down(h)))}; the model then adds its residual (and, in BERT, applies the
 * sub-block's LayerNorm). This is AdapterHub's {@code Adapter} with {@code residual_before_ln=True},
 * {@code original_ln_before=False}, {@code original_ln_after=True}: its {@code double_seq_bn}
 * (Houlsby) exactly. AdapterHub's {@code seq_bn} (Pfeiffer) default sets
 * {@code original_ln_before=True}, feeding the adapter {@code LayerNorm(h + residual)}; that tensor
 * never passes through a module of a pre-LN model, so peft4j's Pfeiffer preset keeps the Houlsby
 * wiring at the feed-forward output only. The projection's dropout, if the model applies one
 * after the projection, comes after the adapter here and before it in AdapterHub; both are the
 * identity at inference.
 *
 * <p><b>Parallel adapters</b> (He et al. 2021) read the input of the sub-block. The first
 * module of the block (BERT {@code intermediate.dense} / {@code attention.self.query}, GPT-2
 * {@code mlp.c_fc} / {@code attn.c_attn}, Llama {@code mlp.gate_proj} or {@code mlp.up_proj} /
 * {@code self_attn.q_proj}) is wrapped in a {@link BottleneckInputTap} that hands its input to
 * the output projection's {@link BottleneckLayer} of the same layer, which returns
 * {@code h + s·up(act(down(x)))}. For BERT this {@code x} is AdapterHub's {@code input_tensor}
 * exactly; for pre-LN models it is the normalised block input the MLP itself reads (He et al.'s
 * definition), where AdapterHub feeds the un-normalised residual stream.
 *
 * <p>A module's layer index is its first numbered path segment ({@code transformer.h.3.mlp.c_proj}
 * is in layer 3), as PEFT reads it; {@code leave_out} skips those layers.
 *
 * <pre>{@code
 * List<BottleneckPlacement.Site> sites = BottleneckPlacement.sites(model, config);
 * }</pre>
 */
public final class BottleneckPlacement {

    /** Attention output projections of BERT/RoBERTa, GPT-2 and the Llama family. */
    public static final TargetModules ATTENTION_OUTPUT =
            TargetModules.regex(".*\\.(attention\\.output\\.dense|attn\\.c_proj|self_attn\\.o_proj)");

    /** Feed-forward output projections of BERT/RoBERTa, GPT-2 and the Llama family. */
    public static final TargetModules FFN_OUTPUT =
            TargetModules.regex(".*\\.(layer\\.\\d+\\.output\\.dense|mlp\\.c_proj|mlp\\.down_proj)");

    /** The first module of each attention block, whose input parallel attention adapters read. */
    public static final TargetModules ATTENTION_INPUT =
            TargetModules.regex(".*\\.(attention\\.self\\.query|attn\\.c_attn|self_attn\\.q_proj)");

    /** The first module of each feed-forward block, whose input parallel feed-forward adapters read. */
    public static final TargetModules FFN_INPUT =
            TargetModules.regex(".*\\.(intermediate\\.dense|mlp\\.c_fc|mlp\\.gate_proj|mlp\\.up_proj)");

    private static final Pattern LAYER_PREFIX = Pattern.compile("^(.*?\\.[^.]*\\.(\\d+))\\.");

    private BottleneckPlacement() {}

    /** The two places in a transformer layer an adapter can follow. */
    public enum Position {
        /** After the attention output projection ({@code mh_adapter}). */
        ATTENTION,
        /** After the feed-forward output projection ({@code output_adapter}). */
        FFN
    }

    /**
     * One adapted module.
     *
     * @param path the output projection's path
     * @param position which sub-block it ends
     * @param layer its layer index, or -1 if the path has none
     * @param inputPath for parallel adapters, the module whose input the adapter reads; else {@code null}
     */
    public record Site(String path, Position position, int layer, String inputPath) {}

    /**
     * @param model the model
     * @param config the adapter's config (validated)
     * @return the sites, attention before feed-forward within the tree order of each kind
     * @throws PeftConfigException if a pattern matches nothing (listing the model's paths), if
     *     {@code leave_out} removes every site, or if a parallel site has no input module
     */
    public static List<Site> sites(InjectionContext model, BottleneckConfig config) {
        List<Site> sites = new ArrayList<>();
        if (config.mhAdapter()) {
            sites.addAll(sitesOf(model, config, Position.ATTENTION,
                    or(config.attentionOutputModules(), ATTENTION_OUTPUT), or(config.attentionInputModules(), ATTENTION_INPUT)));
        }
        if (config.outputAdapter()) {
            sites.addAll(sitesOf(model, config, Position.FFN,
                    or(config.ffnOutputModules(), FFN_OUTPUT), or(config.ffnInputModules(), FFN_INPUT)));
        }
        if (sites.isEmpty()) {
            throw new PeftConfigException("leave_out " + config.leaveOut() + " leaves no layer for the bottleneck adapter");
        }
        return sites;
    }

    private static List<Site> sitesOf(InjectionContext model, BottleneckConfig config, Position position,
            TargetModules outputs, TargetModules inputs) {
        Map<String, String> inputByLayer = new LinkedHashMap<>();
        if (config.isParallel()) {
            for (String path : model.selectTargets(matcher(inputs, config))) {
                String prefix = layerPrefix(path);
                if (prefix != null) {
                    inputByLayer.putIfAbsent(prefix, path);
                }
            }
        }
        List<Site> out = new ArrayList<>();
        for (String path : model.selectTargets(matcher(outputs, config))) {
            OptionalInt index = TargetMatcher.layerIndex(path, null);
            int layer = index.orElse(-1);
            if (index.isPresent() && config.leaveOut().contains(layer)) {
                continue;
            }
            String input = null;
            if (config.isParallel()) {
                String prefix = layerPrefix(path);
                input = prefix == null ? null : inputByLayer.get(prefix);
                if (input == null) {
                    throw new PeftConfigException("parallel adapter at " + path + " needs the input of its "
                            + position.name().toLowerCase(Locale.ROOT) + " block, but no module matching "
                            + inputs + " sits in the same layer" + (prefix == null ? " (the path has no layer index)" : " " + prefix)
                            + "; set " + (position == Position.FFN ? "ffn_input_modules" : "attention_input_modules"));
                }
            }
            out.add(new Site(path, position, layer, input));
        }
        return out;
    }

    /** Modules trained in full ({@code modules_to_save}) are never adapted, as PEFT's rule. */
    private static TargetMatcher matcher(TargetModules targets, BottleneckConfig config) {
        return TargetMatcher.builder().targets(targets).modulesToSave(config.modulesToSave()).build();
    }

    private static TargetModules or(TargetModules given, TargetModules fallback) {
        return given != null ? given : fallback;
    }

    /**
     * @param path a module path
     * @return the path of its layer ({@code bert.encoder.layer.3} for
     *     {@code bert.encoder.layer.3.output.dense}), or {@code null} if it has no numbered segment
     */
    static String layerPrefix(String path) {
        Matcher m = LAYER_PREFIX.matcher(path);
        return m.lookingAt() ? m.group(1) : null;
    }
}
