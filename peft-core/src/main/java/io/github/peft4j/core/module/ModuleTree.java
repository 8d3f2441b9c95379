package io.github.peft4j.core.module;

import ai.djl.nn.Block;
import ai.djl.nn.BlockList;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.util.Pair;
import io.github.peft4j.core.PeftConfigException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The modules of a DJL block tree, named with Hugging Face state-dict paths (DESIGN.md §3).
 *
 * <p>A child's path segment is its {@code addChildBlock} name with DJL's numeric prefix removed;
 * children of a {@link SequentialBlock} or {@link ParallelBlock} are named by index ({@code 0},
 * {@code 1}, ...) as in {@code torch.nn.Sequential}. A parameter's full name is
 * {@code <module path>.<parameter name>}. The root module has the empty path.
 *
 * <pre>{@code
 * ModuleTree tree = ModuleTree.of(model);
 * Block qProj = tree.get("model.layers.0.self_attn.q_proj");
 * Map<String, Parameter> params = tree.parameters(); // "model.layers.0.self_attn.q_proj.weight", ...
 * }</pre>
 *
 * <p>A tree is a snapshot: after surgery, build a new one.
 */
public final class ModuleTree {

    private final Block root;
    private final Map<String, Module> modules;

    private ModuleTree(Block root, Map<String, Module> modules) {
        this.root = root;
        this.modules = modules;
    }

    /**
     * One named module of the tree.
     *
     * @param path the dotted path ({@code ""} for the root)
     * @param block the block at that path
     * @param parent the parent block, {@code null} for the root
     */
    public record Module(String path, Block block, Block parent) {

        /** @return the last segment of the path, as PEFT's {@code target_name} */
        public String name() {
            int dot = path.lastIndexOf('.');
            return dot < 0 ? path : path.substring(dot + 1);
        }
    }

    /**
     * Enumerates the modules of {@code root} in depth-first pre-order, parents before children.
     *
     * @param root the root block
     * @return the tree
     */
    public static ModuleTree of(Block root) {
        Map<String, Module> modules = new LinkedHashMap<>();
        visit(root, null, "", modules);
        return new ModuleTree(root, Collections.unmodifiableMap(modules));
    }

    private static void visit(Block block, Block parent, String path, Map<String, Module> out) {
        out.put(path, new Module(path, block, parent));
        BlockList children = block.getChildren();
        for (int i = 0; i < children.size(); i++) {
            String segment = childSegment(block, i, children.keyAt(i));
            visit(children.valueAt(i), block, path.isEmpty() ? segment : path + "." + segment, out);
        }
    }

    /**
     * The path segment of a child, as Hugging Face would name it.
     *
     * @param parent the parent block
     * @param index the child's position (0-based)
     * @param djlKey the child's key in the parent's {@code BlockList}
     * @return the segment
     */
    public static String childSegment(Block parent, int index, String djlKey) {
        if (parent instanceof SequentialBlock || parent instanceof ParallelBlock) {
            return Integer.toString(index);
        }
        // AbstractBlock.addChildBlock stores String.format("%02d%s", position, name), 1-based
        String prefix = String.format("%02d", index + 1);
        return djlKey.startsWith(prefix) ? djlKey.substring(prefix.length()) : djlKey;
    }

    /** @return the root block */
    public Block root() {
        return root;
    }

    /** @return every module, keyed by path, in pre-order */
    public Map<String, Module> modules() {
        return modules;
    }

    /** @return every module path, in pre-order (the root's empty path first) */
    public List<String> paths() {
        return new ArrayList<>(modules.keySet());
    }

    /**
     * @param path a dotted module path
     * @return the module at that path, if any
     */
    public Optional<Module> find(String path) {
        return Optional.ofNullable(modules.get(path));
    }

    /**
     * @param path a dotted module path
     * @return the block at that path
     * @throws PeftConfigException if no module has that path
     */
    public Block get(String path) {
        Module m = modules.get(path);
        if (m == null) {
            throw new PeftConfigException(
                    "no module '" + path + "' in " + root.getClass().getSimpleName()
                            + "; modules: " + summarize(paths()));
        }
        return m.block();
    }

    /**
     * @param block a block of this tree
     * @return its path
     */
    public Optional<String> pathOf(Block block) {
        for (Module m : modules.values()) {
            if (m.block() == block) {
                return Optional.of(m.path());
            }
        }
        return Optional.empty();
    }

    /**
     * All parameters of the tree, keyed {@code <module path>.<parameter name>}, each module's own
     * parameters before its children's.
     *
     * @return the parameters, in tree order
     */
    public Map<String, Parameter> parameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        for (Module m : modules.values()) {
            for (Pair<String, Parameter> p : m.block().getDirectParameters()) {
                String name = p.getValue().getName();
                out.put(m.path().isEmpty() ? name : m.path() + "." + name, p.getValue());
            }
        }
        return out;
    }

    /**
     * Shortens a long list of paths for error messages, keeping the count.
     *
     * @param paths module paths
     * @return a readable summary
     */
    public static String summarize(List<String> paths) {
        List<String> named = paths.stream().filter(p -> !p.isEmpty()).toList();
        int limit = 60;
        if (named.size() <= limit) {
            return named.toString();
        }
        return named.subList(0, limit) + " ... (" + named.size() + " modules in all)";
    }
}
