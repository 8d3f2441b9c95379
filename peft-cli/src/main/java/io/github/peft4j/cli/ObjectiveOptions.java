package io.github.peft4j.cli;

import io.github.peft4j.core.PeftModel;
import io.github.peft4j.train.curation.Curator;
import io.github.peft4j.train.data.ChatMessage;
import io.github.peft4j.train.data.JsonlReader;
import io.github.peft4j.train.data.TextTokenizer;
import io.github.peft4j.train.data.preference.PreferenceDataset;
import io.github.peft4j.train.data.preference.PreferenceParser;
import io.github.peft4j.train.data.preference.PreferencePair;
import io.github.peft4j.train.data.preference.PreferencePipeline;
import io.github.peft4j.train.loss.TrainingObjective;
import io.github.peft4j.train.preference.DpoLoss;
import io.github.peft4j.train.preference.DpoObjective;
import io.github.peft4j.train.preference.OrpoObjective;
import io.github.peft4j.train.preference.ReferencePolicy;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * {@code --objective dpo}: preference tuning of the adapter on TRL-format preference pairs
 * ({@code --data prefs.jsonl}), with the reference log-probabilities from the same model with its
 * adapters disabled, or, when continuing an adapter ({@code --adapter DIR} or {@code --from REF}),
 * from a frozen copy of that adapter (TRL's {@code ref_adapter_name}): an incremental refresh moves
 * away from the version it starts from only as far as the preferences ask.
 *
 * <pre>{@code
 * peft4j train --objective dpo --data prefs.jsonl --adapter runs/sft --eval-prefs held-out.jsonl --beta 0.1
 * }</pre>
 */
final class ObjectiveOptions {

    /** The name of the frozen copy of the adapter a DPO run continues. */
    static final String REFERENCE_ADAPTER = "reference";

    @Option(names = "--objective", description = "sft (language modelling on --data), dpo or orpo (preference"
            + " pairs in --data: TRL's prompt/chosen/rejected, strings or message lists) (default: ${DEFAULT-VALUE})")
    String objective = "sft";

    @Option(names = "--adapter", paramLabel = "DIR", description = "continue training this adapter directory"
            + " (incremental refresh; the method and its settings come from it)")
    Path adapter;

    @Option(names = "--beta", description = "DPO's beta (how far the policy may move from the reference) or"
            + " ORPO's lambda (weight of the odds-ratio term)"
            + " (default: ${DEFAULT-VALUE})")
    double beta = 0.1;

    @Option(names = "--label-smoothing", description = "DPO's label smoothing (cDPO), in [0, 0.5)"
            + " (default: ${DEFAULT-VALUE})")
    double labelSmoothing;

    @Option(names = "--rpo-alpha", description = "TRL's rpo_alpha: add the chosen answers' token NLL times this to"
            + " the DPO loss (RPO; 1.0 in the paper), which keeps the domain likelihood from falling; 0 = plain DPO"
            + " (default: ${DEFAULT-VALUE})")
    double rpoAlpha;

    @Option(names = "--loss-type", description = "sigmoid (DPO) or ipo (default: ${DEFAULT-VALUE})")
    String lossType = "sigmoid";

    @Option(names = "--reference", description = "DPO's reference: base (adapters disabled) or parent (the"
            + " adapter continued); default parent when continuing an adapter, else base")
    String reference;

    @Option(names = "--eval-prefs", paramLabel = "FILE", description = "held-out preference pairs: reward accuracy"
            + " and margin against the base, before and after (preference.json); the eval set of --eval-steps")
    Path evalPrefs;

    /**
     * @return whether this run is preference tuning (DPO or ORPO: --data holds pairs)
     * @throws UserError for an unknown objective or DPO's options given to ORPO, before anything is loaded
     */
    boolean preferences() {
        if (name().equals("orpo") && (reference != null || rpoAlpha != 0 || labelSmoothing != 0
                || !lossType.equals("sigmoid"))) {
            throw new UserError("--reference, --rpo-alpha, --label-smoothing and --loss-type are DPO's;"
                    + " ORPO has no reference model and its own loss (--beta weighs the odds ratio)");
        }
        return !name().equals("sft");
    }

    /** @return the objective's name, checked */
    private String name() {
        String name = objective.toLowerCase(Locale.ROOT);
        if (!List.of("sft", "dpo", "orpo").contains(name)) {
            throw new UserError("unknown --objective " + objective + "; expected sft, dpo or orpo");
        }
        return name;
    }

    /**
     * @param continuing whether the run continues an adapter
     * @return whether the run needs the continued adapter's frozen copy as DPO's reference
     */
    boolean loadsReference(boolean continuing) {
        return continuing && name().equals("dpo");
    }

    /**
     * @param peft the model being trained
     * @param continuing whether it continues an adapter (loaded as {@value #REFERENCE_ADAPTER} for DPO)
     * @return the preference objective: DPO, or ORPO (no reference; --beta is its lambda)
     */
    TrainingObjective preferenceObjective(PeftModel peft, boolean continuing) {
        if (!name().equals("orpo")) {
            return dpoObjective(peft, continuing);
        }
        try {
            return OrpoObjective.builder().beta(beta).build();
        } catch (io.github.peft4j.core.PeftConfigException e) {
            throw new UserError(e.getMessage());
        }
    }

    /**
     * @param data the pairs
     * @param tokenizer the model's tokenizer
     * @param seqLen the longest sequence
     * @param strict whether a bad line fails the read
     * @return the curated, tokenized pairs
     */
    static PreferencePipeline.Prepared prepare(Path data, TextTokenizer tokenizer, int seqLen, boolean strict) {
        PreferencePipeline pipeline = PreferencePipeline.builder(tokenizer).curator(Curator.defaults())
                .skipBadLines(!strict)
                .tokenization(t -> ChatFormat.apply(t, tokenizer).addEos(false).maxLength(seqLen))
                .build();
        JsonlReader.Parsed<PreferencePair> read = PreferenceParser.read(Inputs.requireFile(data, "preference data"),
                strict);
        return pipeline.prepare(read.records().stream().map(ObjectiveOptions::asConversation).toList(),
                read.skipped().size());
    }

    /** As {@link ChatFormat#asChats}: a plain-text pair is one user turn and two assistant answers. */
    private static PreferencePair asConversation(PreferencePair p) {
        if (p instanceof PreferencePair.Standard s) {
            return new PreferencePair.Conversational(List.of(new ChatMessage("user", s.prompt())),
                    List.of(new ChatMessage("assistant", s.chosen())), List.of(new ChatMessage("assistant", s.rejected())),
                    s.origin());
        }
        return p;
    }

    /**
     * @param peft the model being trained
     * @param continuing whether it continues an adapter (loaded as {@value #REFERENCE_ADAPTER} too)
     * @return the DPO objective
     */
    private DpoObjective dpoObjective(PeftModel peft, boolean continuing) {
        String ref = reference != null ? reference.toLowerCase(Locale.ROOT) : continuing ? "parent" : "base";
        if (!ref.equals("base") && !ref.equals("parent")) {
            throw new UserError("unknown --reference " + reference + "; expected base or parent");
        }
        if (ref.equals("parent") && !continuing) {
            throw new UserError("--reference parent needs an adapter to continue: --adapter DIR or --from REF");
        }
        DpoLoss.Type type = switch (lossType.toLowerCase(Locale.ROOT)) {
            case "sigmoid" -> DpoLoss.Type.SIGMOID;
            case "ipo" -> DpoLoss.Type.IPO;
            default -> throw new UserError("unknown --loss-type " + lossType + "; expected sigmoid or ipo");
        };
        try {
            return DpoObjective.builder().lossType(type).beta(beta).labelSmoothing(labelSmoothing)
                    .rpoAlpha(rpoAlpha)
                    .reference(ref.equals("base") ? ReferencePolicy.base() : ReferencePolicy.adapter(REFERENCE_ADAPTER))
                    .build();
        } catch (io.github.peft4j.core.PeftConfigException e) {
            throw new UserError(e.getMessage());
        }
    }

    /** @return the measure of held-out preferences: DPO against the base model, whatever the training reference */
    DpoObjective heldOutMeasure() {
        return DpoObjective.builder().beta(beta).build();
    }

    /**
     * @param tokenizer the model's tokenizer
     * @param seqLen the longest sequence
     * @param strict whether a bad line fails the read
     * @return the held-out pairs, or {@code null} without {@code --eval-prefs}
     */
    PreferenceDataset heldOut(TextTokenizer tokenizer, int seqLen, boolean strict) {
        return evalPrefs == null ? null : prepare(evalPrefs, tokenizer, seqLen, strict).train();
    }
}
