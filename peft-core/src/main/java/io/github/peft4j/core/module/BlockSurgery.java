package io.github.peft4j.core.module;

import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.BlockList;
import io.github.peft4j.core.PeftCompatibilityException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.List;

/**
 * Replaces a child anywhere in a DJL block tree.
 *
 * <p>DJL blocks keep a child twice: in {@code AbstractBlock.children} (which drives
 * initialisation, parameter listing and, for {@code SequentialBlock}/{@code ParallelBlock},
 * forward) and usually in a field of the parent that its {@code forwardInternal} calls. Both must
 * point at the new child, otherwise forward and the parameter list disagree. The child keeps its
 * key, so paths do not change; the old child's parameters are untouched (a wrapper holds it).
 *
 * <pre>{@code
 * Block old = tree.get("model.layers.0.self_attn.q_proj");
 * BlockSurgery.replace(tree.modules().get("model.layers.0.self_attn").block(), old, wrapper);
 * }</pre>
 */
public final class BlockSurgery {

    private static final Field CHILDREN;

    static {
        try {
            CHILDREN = AbstractBlock.class.getDeclaredField("children");
            CHILDREN.setAccessible(true);
        } catch (NoSuchFieldException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private BlockSurgery() {}

    /**
     * Replaces the module at {@code path} of {@code root}.
     *
     * @param root the root of the tree
     * @param path the dotted path of the module to replace (not the root)
     * @param replacement the new block
     * @return the block that was replaced
     */
    public static Block replace(Block root, String path, Block replacement) {
        ModuleTree.Module m =
                ModuleTree.of(root)
                        .find(path)
                        .orElseThrow(() -> new PeftCompatibilityException("no module '" + path + "' to replace"));
        if (m.parent() == null) {
            throw new PeftCompatibilityException("the root block cannot be replaced in place");
        }
        replace(m.parent(), m.block(), replacement);
        return m.block();
    }

    /**
     * Replaces {@code oldChild} by {@code newChild} in {@code parent}: in its child list and in
     * every field, list or array of the parent that holds the old child.
     *
     * @param parent the parent block (an {@link AbstractBlock})
     * @param oldChild the current child
     * @param newChild the replacement
     * @throws PeftCompatibilityException if the parent is not an {@code AbstractBlock}, does not
     *     hold the child, or holds it in a field whose type the replacement does not fit
     */
    public static void replace(Block parent, Block oldChild, Block newChild) {
        if (!(parent instanceof AbstractBlock)) {
            throw new PeftCompatibilityException(
                    "cannot replace a child of " + parent.getClass().getName() + ": not an AbstractBlock");
        }
        BlockList children = childList(parent);
        int index = indexOfIdentity(children.values(), oldChild);
        if (index < 0) {
            throw new PeftCompatibilityException(
                    parent.getClass().getSimpleName() + " has no child " + oldChild.getClass().getSimpleName());
        }
        // Check every field before touching anything so that a failure leaves the tree intact.
        patchFields(parent, oldChild, newChild, false);
        children.values().set(index, newChild);
        patchFields(parent, oldChild, newChild, true);
    }

    private static BlockList childList(Block parent) {
        try {
            return (BlockList) CHILDREN.get(parent);
        } catch (IllegalAccessException e) {
            throw new PeftCompatibilityException("cannot read the children of " + parent.getClass().getName(), e);
        }
    }

    private static int indexOfIdentity(List<Block> blocks, Block wanted) {
        for (int i = 0; i < blocks.size(); i++) {
            if (blocks.get(i) == wanted) {
                return i;
            }
        }
        return -1;
    }

    @SuppressWarnings("unchecked")
    private static void patchFields(Block parent, Block oldChild, Block newChild, boolean apply) {
        for (Class<?> c = parent.getClass(); c != null && c != AbstractBlock.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers()) || f.getType().isPrimitive()) {
                    continue;
                }
                Object value;
                try {
                    f.setAccessible(true);
                    value = f.get(parent);
                } catch (ReflectiveOperationException | RuntimeException e) {
                    continue; // fields we cannot open cannot hold a block we must patch
                }
                if (value == oldChild) {
                    if (!f.getType().isInstance(newChild)) {
                        throw new PeftCompatibilityException(
                                c.getSimpleName() + "." + f.getName() + " is typed " + f.getType().getSimpleName()
                                        + " and cannot hold a " + newChild.getClass().getSimpleName());
                    }
                    if (apply) {
                        set(f, parent, newChild);
                    }
                } else if (value instanceof List<?> list && apply) {
                    int i = indexOfIdentity((List<Block>) list, oldChild);
                    while (i >= 0) {
                        try {
                            ((List<Object>) list).set(i, newChild);
                        } catch (UnsupportedOperationException e) {
                            throw new PeftCompatibilityException(
                                    c.getSimpleName() + "." + f.getName() + " is an unmodifiable list holding the block", e);
                        }
                        i = indexOfIdentity((List<Block>) list, oldChild);
                    }
                } else if (value instanceof Object[] array) {
                    for (int i = 0; i < array.length; i++) {
                        if (array[i] == oldChild) {
                            if (!array.getClass().getComponentType().isInstance(newChild)) {
                                throw new PeftCompatibilityException(
                                        c.getSimpleName() + "." + f.getName() + " holds "
                                                + array.getClass().getComponentType().getSimpleName()
                                                + " and cannot hold a " + newChild.getClass().getSimpleName());
                            }
                            if (apply) {
                                array[i] = newChild;
                            }
                        }
                    }
                }
            }
        }
    }

    private static void set(Field f, Object target, Object value) {
        try {
            f.set(target, value);
        } catch (IllegalAccessException e) {
            throw new PeftCompatibilityException("cannot patch field " + f, e);
        }
    }
}
