package io.github.peft4j.spark;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The socket all-reduce ({@link Exchange#SOCKETS}): a star around rank 0, set up once per segment.
 *
 * <p>Rendezvous: rank 0 listens on an ephemeral port of its executor's address and one allGather
 * tells every rank {@code "host port nonce"}; the others connect and send a hello frame with their
 * rank and the nonce, so a connection left over from an earlier attempt is never taken for a peer.
 * Each step every other rank sends its message; rank 0 decodes them and reduces them in rank order
 * with {@link GradientMessage#reduce}, exactly as the allGather path does, and sends the reduction
 * back (128 kB each way for LoRA r=8 on the benchmark model: simplicity over bandwidth tricks).
 * No threads: rank 0 reads its peers one after the other. Any failure closes every connection, so
 * the peers fail at once too, and Spark retries the stage, which binds a fresh port.
 */
final class SocketExchange implements GradientExchange {

    private static final Logger LOG = LoggerFactory.getLogger(SocketExchange.class);

    private final int rank;
    /** Rank 0: index = the peer's rank (index 0 unused); other ranks: index 0 = rank 0. */
    private final FrameChannel[] peers;
    private final long readTimeoutNanos;

    private SocketExchange(int rank, FrameChannel[] peers, long readTimeoutNanos) {
        this.rank = rank;
        this.peers = peers;
        this.readTimeoutNanos = readTimeoutNanos;
    }

    /**
     * Rendezvous and connect: every rank of the barrier stage calls this at the segment's start.
     *
     * @param rank this task's rank
     * @param ranks the barrier stage's tasks
     * @param host this task's executor address (rank 0 listens on it)
     * @param rendezvous the barrier's allGather, called once (not at all with one rank)
     * @param alive throws if the task was killed; polled while waiting
     * @param settings the timeouts
     * @return the connected exchange
     * @throws GradientExchangeException naming the ranks that did not connect
     */
    static SocketExchange open(int rank, int ranks, String host, Function<String, String[]> rendezvous,
            Runnable alive, ExchangeSettings settings) {
        long connectNanos = settings.connectTimeout().toNanos();
        FrameChannel[] peers = new FrameChannel[ranks];
        if (ranks > 1) {
            if (rank == 0) {
                listen(peers, host, rendezvous, alive, connectNanos);
            } else {
                peers[0] = connect(rank, rendezvous.apply(host)[0], alive, connectNanos);
            }
        }
        return new SocketExchange(rank, peers, settings.readTimeout().toNanos());
    }

    /**
     * @param address a {@code BarrierTaskInfo} address: {@code host:port}, {@code [v6]:port} or a bare host
     * @return the host
     */
    static String hostOf(String address) {
        if (address.startsWith("[")) {
            return address.substring(1, address.indexOf(']'));
        }
        int colon = address.lastIndexOf(':');
        return colon > 0 && address.indexOf(':') == colon ? address.substring(0, colon) : address;
    }

    @Override
    public GradientMessage.Reduced allReduce(int step, GradientMessage mine, boolean averageItems) {
        if (rank != 0) {
            FrameChannel root = peers[0];
            try {
                root.send(FrameChannel.GRADIENTS, rank, step, mine.toBytes(), System.nanoTime() + readTimeoutNanos);
                byte[] reduced = root.receive(FrameChannel.REDUCED, 0, step,
                        GradientMessage.Reduced.byteSize(mine.floats()), System.nanoTime() + readTimeoutNanos).payload();
                return GradientMessage.Reduced.fromBytes(reduced);
            } catch (IOException e) {
                throw failure(0, step, e);
            }
        }
        GradientMessage[] all = new GradientMessage[peers.length];
        all[0] = mine;
        int length = GradientMessage.byteSize(mine.microBatches(), mine.floats());
        for (int r = 1; r < peers.length; r++) {
            try {
                byte[] bytes = peers[r].receive(FrameChannel.GRADIENTS, r, step, length,
                        System.nanoTime() + readTimeoutNanos).payload();
                all[r] = decode(bytes, mine);
            } catch (IOException e) {
                throw failure(r, step, e);
            }
        }
        GradientMessage.Reduced reduced = GradientMessage.reduce(all, averageItems);
        byte[] out = reduced.toBytes();
        for (int r = 1; r < peers.length; r++) {
            try {
                peers[r].send(FrameChannel.REDUCED, 0, step, out, System.nanoTime() + readTimeoutNanos);
            } catch (IOException e) {
                throw failure(r, step, e);
            }
        }
        return reduced;
    }

    private static GradientMessage decode(byte[] bytes, GradientMessage like) throws ProtocolException {
        GradientMessage m;
        try {
            m = GradientMessage.fromBytes(bytes);
        } catch (IllegalArgumentException e) {
            throw new ProtocolException(e.getMessage());
        }
        if (m.microBatches() != like.microBatches() || m.floats() != like.floats()) {
            throw new ProtocolException("a message of " + m.microBatches() + " micro-batches of " + m.floats()
                    + " floats, expected " + like.microBatches() + " of " + like.floats());
        }
        return m;
    }

    /** Closes every connection (so the peers fail now, not at their timeout) and names the peer. */
    private GradientExchangeException failure(int peer, int step, IOException e) {
        String remote = peers[peer].remote();
        close();
        return new GradientExchangeException(rank, peer, step, "rank " + peer + " at " + remote + " "
                + describe(e, readTimeoutNanos) + ": " + e.getMessage(), e);
    }

    private static String describe(IOException e, long timeoutNanos) {
        if (e instanceof SocketTimeoutException) {
            return "sent nothing for " + timeoutNanos / 1_000_000 + " ms (raise the read timeout if its steps are"
                    + " that slow)";
        }
        if (e instanceof EOFException) {
            return "closed the connection (its task failed or was killed)";
        }
        return e instanceof ProtocolException ? "sent a malformed frame" : "failed";
    }

    private static void listen(FrameChannel[] peers, String host, Function<String, String[]> rendezvous,
            Runnable alive, long connectNanos) {
        FrameChannel.OPEN.incrementAndGet();
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getByName(host), 0), peers.length);
            InetSocketAddress at = (InetSocketAddress) server.getLocalAddress();
            long nonce = ThreadLocalRandom.current().nextLong();
            rendezvous.apply(at.getAddress().getHostAddress() + " " + at.getPort() + " " + nonce);
            long deadline = System.nanoTime() + connectNanos;
            try (Selector selector = FrameChannel.selectorFor(server, SelectionKey.OP_ACCEPT)) {
                for (int connected = 0; connected < peers.length - 1;) {
                    SocketChannel ch = server.accept();
                    if (ch == null) {
                        FrameChannel.await(selector, deadline, alive, "ranks " + missing(peers) + " did not connect to "
                                + at + " within " + connectNanos / 1_000_000 + " ms");
                    } else if (hello(ch, alive, peers, nonce, deadline)) {
                        connected++;
                    }
                }
            }
        } catch (IOException e) {
            closeAll(peers);
            List<Integer> missing = missing(peers);
            throw new GradientExchangeException(0, missing.isEmpty() ? -1 : missing.get(0), 0, e.getMessage(), e);
        } catch (RuntimeException e) {
            closeAll(peers);
            throw e;
        } finally {
            FrameChannel.OPEN.decrementAndGet();
        }
    }

    /** Takes an accepted connection as a peer if its hello names a free rank and the nonce; else drops it. */
    private static boolean hello(SocketChannel accepted, Runnable alive, FrameChannel[] peers, long nonce,
            long deadline) {
        FrameChannel ch;
        try {
            ch = FrameChannel.accepted(accepted, alive);
        } catch (IOException e) {
            LOG.warn("dropped a connection that failed at once: {}", e.toString());
            return false;
        }
        String refused;
        try {
            FrameChannel.Frame f = ch.receive(FrameChannel.HELLO, -1, 0, Long.BYTES, deadline);
            long got = ByteBuffer.wrap(f.payload()).getLong();
            if (got == nonce && f.rank() > 0 && f.rank() < peers.length && peers[f.rank()] == null) {
                peers[f.rank()] = ch;
                LOG.debug("rank {} connected from {}", f.rank(), ch.remote());
                return true;
            }
            refused = "rank " + f.rank() + (got == nonce ? " (not a free rank)" : " with another stage's nonce");
        } catch (IOException e) {
            refused = e.getMessage();
        }
        LOG.warn("dropped a connection from {} that is no peer of this stage: {}", ch.remote(), refused);
        ch.close();
        return false;
    }

    private static FrameChannel connect(int rank, String published, Runnable alive, long connectNanos) {
        String[] parts = published.split(" ");
        if (parts.length != 3 || !parts[1].matches("\\d{1,5}") || !parts[2].matches("-?\\d{1,19}")) {
            throw new GradientExchangeException(rank, 0, 0, "rank 0 published '" + published
                    + "', expected 'host port nonce' (is every rank on Exchange.SOCKETS?)", null);
        }
        long deadline = System.nanoTime() + connectNanos;
        InetSocketAddress to = null;
        FrameChannel ch = null;
        try {
            to = new InetSocketAddress(InetAddress.getByName(parts[0]), Integer.parseInt(parts[1]));
            ch = FrameChannel.connect(to, deadline, alive);
            ch.send(FrameChannel.HELLO, rank, 0, ByteBuffer.allocate(Long.BYTES).putLong(Long.parseLong(parts[2]))
                    .array(), deadline);
            return ch;
        } catch (IOException e) {
            if (ch != null) {
                ch.close();
            }
            throw new GradientExchangeException(rank, 0, 0, "cannot connect to rank 0 at " + (to == null ? published : to)
                    + " within " + connectNanos / 1_000_000 + " ms: " + e, e);
        } catch (RuntimeException e) {
            if (ch != null) {
                ch.close();
            }
            throw e;
        }
    }

    private static List<Integer> missing(FrameChannel[] peers) {
        List<Integer> out = new ArrayList<>();
        for (int r = 1; r < peers.length; r++) {
            if (peers[r] == null) {
                out.add(r);
            }
        }
        return out;
    }

    private static void closeAll(FrameChannel[] peers) {
        for (FrameChannel p : peers) {
            if (p != null) {
                p.close();
            }
        }
    }

    @Override
    public void close() {
        closeAll(peers);
    }
}
