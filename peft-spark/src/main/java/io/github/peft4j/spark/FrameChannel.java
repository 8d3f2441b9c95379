package io.github.peft4j.spark;

import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One TCP connection of the socket all-reduce, carrying frames: a 20-byte header (magic, kind,
 * sender rank, step, payload length; big-endian) and the payload. Every header field is checked
 * against what the receiver expects, so a stray or stale connection, a lost step or a truncated
 * message is an error, never a wrong sum. I/O is non-blocking with a deadline, and the task's kill
 * flag is polled while waiting: a killed barrier stage never leaves a task stuck in a read.
 */
final class FrameChannel implements AutoCloseable {

    /** "p4jX": peft4j exchange. */
    static final int MAGIC = 0x70346A58;
    static final int HEADER_BYTES = 20;
    static final int HELLO = 1;
    static final int GRADIENTS = 2;
    static final int REDUCED = 3;

    /** Open channels and server sockets of this JVM: 0 whenever no segment is running (tested). */
    static final AtomicInteger OPEN = new AtomicInteger();

    /** How often a wait looks at the kill flag; data wakes it at once. */
    private static final long POLL_MILLIS = 100;

    private final SocketChannel channel;
    private final Selector selector;
    private final SelectionKey key;
    private final Runnable alive;
    private final String remote;
    private boolean closed;

    /**
     * A received frame.
     *
     * @param rank the sender's rank from the header
     * @param payload the payload
     */
    record Frame(int rank, byte[] payload) {}

    private FrameChannel(SocketChannel channel, Runnable alive) throws IOException {
        OPEN.incrementAndGet();
        this.channel = channel;
        this.alive = alive;
        Selector s = null;
        try {
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            s = Selector.open();
            this.key = channel.register(s, 0);
            this.remote = String.valueOf(channel.getRemoteAddress());
        } catch (IOException | RuntimeException e) {
            if (s != null) {
                s.close();
            }
            channel.close();
            OPEN.decrementAndGet();
            throw e;
        }
        this.selector = s;
    }

    /**
     * @param channel an accepted connection
     * @param alive throws if the task was killed
     * @return the channel
     */
    static FrameChannel accepted(SocketChannel channel, Runnable alive) throws IOException {
        return new FrameChannel(channel, alive);
    }

    /**
     * @param to the peer's server
     * @param deadline {@link System#nanoTime()} by which the connection must be up
     * @param alive throws if the task was killed
     * @return the connected channel
     */
    static FrameChannel connect(InetSocketAddress to, long deadline, Runnable alive) throws IOException {
        SocketChannel ch = SocketChannel.open();
        try (Selector s = Selector.open()) {
            ch.configureBlocking(false);
            if (!ch.connect(to)) {
                ch.register(s, SelectionKey.OP_CONNECT);
                while (!ch.finishConnect()) {
                    await(s, deadline, alive, "no connection to " + to);
                }
            }
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        return new FrameChannel(ch, alive);
    }

    /** @return the peer's address */
    String remote() {
        return remote;
    }

    /** Sends one frame; waits at most until {@code deadline} (nanoTime) for the peer to take it. */
    void send(int kind, int rank, int step, byte[] payload, long deadline) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).putInt(MAGIC).putInt(kind).putInt(rank).putInt(step)
                .putInt(payload.length).flip();
        ByteBuffer[] frame = {header, ByteBuffer.wrap(payload)};
        while (header.hasRemaining() || frame[1].hasRemaining()) {
            if (channel.write(frame) == 0) {
                key.interestOps(SelectionKey.OP_WRITE);
                await(selector, deadline, alive, "the peer took no data in time");
            }
        }
    }

    /**
     * Receives one frame and checks its header.
     *
     * @param kind the expected kind
     * @param rank the expected sender, or -1 for any
     * @param step the expected step
     * @param length the expected payload length
     * @param deadline {@link System#nanoTime()} by which the whole frame must have arrived
     * @return the frame
     * @throws ProtocolException naming the first header field that differs
     */
    Frame receive(int kind, int rank, int step, int length, long deadline) throws IOException {
        ByteBuffer header = readFully(HEADER_BYTES, deadline, "no frame arrived in time");
        int magic = header.getInt();
        int gotKind = header.getInt();
        int gotRank = header.getInt();
        int gotStep = header.getInt();
        int gotLength = header.getInt();
        if (magic != MAGIC) {
            throw new ProtocolException(String.format("bad magic 0x%08x, expected 0x%08x", magic, MAGIC));
        }
        check("kind", gotKind, kind);
        if (rank >= 0) {
            check("sender rank", gotRank, rank);
        }
        check("step", gotStep, step);
        check("payload length", gotLength, length);
        return new Frame(gotRank, readFully(length, deadline, "the frame's payload stopped arriving").array());
    }

    private static void check(String field, int got, int expected) throws ProtocolException {
        if (got != expected) {
            throw new ProtocolException("frame " + field + " " + got + ", expected " + expected);
        }
    }

    private ByteBuffer readFully(int n, long deadline, String what) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(n);
        while (buf.hasRemaining()) {
            int read = channel.read(buf);
            if (read < 0) {
                throw new EOFException("the connection was closed after " + buf.position() + " of " + n + " bytes");
            }
            if (read == 0) {
                key.interestOps(SelectionKey.OP_READ);
                await(selector, deadline, alive, what);
            }
        }
        return buf.flip();
    }

    /**
     * Waits until a channel registered with {@code selector} is ready, polling {@code alive}.
     *
     * @throws SocketTimeoutException once {@code deadline} passes, saying {@code what} did not happen
     */
    static void await(Selector selector, long deadline, Runnable alive, String what) throws IOException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new SocketTimeoutException(what);
        }
        if (Thread.currentThread().isInterrupted()) {
            throw new InterruptedIOException("interrupted while waiting: " + what);
        }
        selector.select(Math.max(1, Math.min(POLL_MILLIS, TimeUnit.NANOSECONDS.toMillis(left))));
        selector.selectedKeys().clear();
        alive.run();
    }

    /** @param channel a channel to register for {@link #await} @return a selector of its own */
    static Selector selectorFor(SelectableChannel channel, int ops) throws IOException {
        Selector s = Selector.open();
        try {
            channel.configureBlocking(false);
            channel.register(s, ops);
            return s;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        OPEN.decrementAndGet();
        try {
            selector.close();
        } catch (IOException ignored) {
            // closing the channel below is what matters
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing left to release
        }
    }
}
