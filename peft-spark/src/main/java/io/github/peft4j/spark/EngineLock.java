package io.github.peft4j.spark;

import java.util.concurrent.locks.ReentrantLock;

/**
 * The one lock of a JVM around autograd and model updates. DJL allows one gradient collector per
 * JVM, and in local mode (or with several cores per executor) the tasks of a stage share a JVM and
 * its model, so they take turns: each computes its shard under the lock.
 *
 * <pre>{@code
 * EngineLock.LOCK.lock();
 * try { trainer.train(); } finally { EngineLock.LOCK.unlock(); }
 * }</pre>
 */
public final class EngineLock {

    /** The lock. */
    public static final ReentrantLock LOCK = new ReentrantLock();

    private EngineLock() {}
}
