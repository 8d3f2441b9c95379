package io.github.peft4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The socket all-reduce without Spark: ranks are threads, the rendezvous a barrier, misbehaving peers raw sockets. */
class SocketExchangeTest {

    private static final ExchangeSettings FAST = new ExchangeSettings(Exchange.SOCKETS, Duration.ofSeconds(5),
            Duration.ofSeconds(5));
    private static final Runnable ALIVE = () -> {};

    private ExecutorService pool;

    @BeforeEach
    void start() {
        pool = Executors.newCachedThreadPool();
    }

    @AfterEach
    void stop() throws InterruptedException {
        pool.shutdownNow();
        assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        assertEquals(0, FrameChannel.OPEN.get(), "sockets left open");
    }

    private static GradientMessage message(Random random, int microBatches, int floats) {
        GradientMessage m = new GradientMessage(microBatches, floats);
        for (int i = 0; i < microBatches; i++) {
            float[] g = new float[floats];
            for (int k = 0; k < floats; k++) {
                g[k] = (float) random.nextGaussian() * (1 << random.nextInt(20));
            }
            m.set(i, 1 + random.nextInt(9), random.nextDouble() * 100, 10 + random.nextInt(90), g);
        }
        return m;
    }

    /** An in-memory allGather for {@code ranks} threads. */
    private static Function<String, String[]> rendezvous(int ranks, int rank, AtomicReferenceArray<String> board,
            CyclicBarrier barrier) {
        return mine -> {
            board.set(rank, mine);
            try {
                barrier.await(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            String[] all = new String[ranks];
            for (int r = 0; r < ranks; r++) {
                all[r] = board.get(r);
            }
            return all;
        };
    }

    @Test
    void everyRankGetsTheAllGatherPathsBitsForEveryStep() throws Exception {
        int ranks = 3;
        int steps = 4;
        Random random = new Random(5);
        GradientMessage[][] sent = new GradientMessage[steps][ranks];
        for (int s = 0; s < steps; s++) {
            for (int r = 0; r < ranks; r++) {
                sent[s][r] = message(random, 2, 3000);
            }
        }
        AtomicReferenceArray<String> board = new AtomicReferenceArray<>(ranks);
        CyclicBarrier barrier = new CyclicBarrier(ranks);
        List<Future<List<GradientMessage.Reduced>>> results = new ArrayList<>();
        for (int r = 0; r < ranks; r++) {
            int rank = r;
            results.add(pool.submit(() -> {
                List<GradientMessage.Reduced> out = new ArrayList<>();
                try (SocketExchange ex = SocketExchange.open(rank, ranks, "127.0.0.1",
                        rendezvous(ranks, rank, board, barrier), ALIVE, FAST)) {
                    for (int s = 0; s < steps; s++) {
                        out.add(ex.allReduce(s + 1, sent[s][rank], s % 2 == 0));
                    }
                }
                return out;
            }));
        }
        for (Future<List<GradientMessage.Reduced>> f : results) {
            assertEquals(steps, f.get(30, TimeUnit.SECONDS).size());
        }
        assertTrue(board.get(0).startsWith("127.0.0.1 "), "rank 0 published " + board.get(0));
        for (int s = 0; s < steps; s++) {
            int step = s;
            GradientMessage.Reduced expected = new AllGatherExchange(m -> {
                String[] all = new String[ranks];
                for (int r = 0; r < ranks; r++) {
                    all[r] = sent[step][r].encode();
                }
                return all;
            }).allReduce(s + 1, sent[s][0], s % 2 == 0);
            for (Future<List<GradientMessage.Reduced>> f : results) {
                GradientMessage.Reduced got = f.get(30, TimeUnit.SECONDS).get(s);
                assertArrayEquals(expected.toBytes(), got.toBytes(), "step " + (s + 1));
            }
        }
    }

    @Test
    void oneRankNeedsNoRendezvous() {
        GradientMessage m = message(new Random(1), 1, 10);
        try (SocketExchange ex = SocketExchange.open(0, 1, "127.0.0.1", x -> {
            throw new AssertionError("no rendezvous with one rank");
        }, ALIVE, FAST)) {
            assertArrayEquals(GradientMessage.reduce(new GradientMessage[] {m}, true).toBytes(),
                    ex.allReduce(1, m, true).toBytes());
        }
    }

    /** Rank 0 of two, in a thread; the test plays rank 1 on a raw socket. */
    private final class RootWithFakePeer implements AutoCloseable {
        final CompletableFuture<String> published = new CompletableFuture<>();
        final Future<SocketExchange> root;
        Socket peer;

        RootWithFakePeer(ExchangeSettings settings, Runnable alive) {
            root = pool.submit(() -> SocketExchange.open(0, 2, "127.0.0.1", mine -> {
                published.complete(mine);
                return new String[] {mine, "127.0.0.1"};
            }, alive, settings));
        }

        /** Connects and says hello with {@code nonceDelta} added to the right nonce. */
        DataOutputStream connect(int rank, long nonceDelta) throws Exception {
            String[] p = published.get(10, TimeUnit.SECONDS).split(" ");
            peer = new Socket(InetAddress.getByName(p[0]), Integer.parseInt(p[1]));
            DataOutputStream out = new DataOutputStream(peer.getOutputStream());
            header(out, FrameChannel.MAGIC, FrameChannel.HELLO, rank, 0, 8);
            out.writeLong(Long.parseLong(p[2]) + nonceDelta);
            out.flush();
            return out;
        }

        /** Connects as rank 1 and sends a gradients frame with this magic, step and payload. */
        void sendGradients(int magic, int step, byte[] payload) throws Exception {
            DataOutputStream out = connect(1, 0);
            header(out, magic, FrameChannel.GRADIENTS, 1, step, payload.length);
            out.write(payload);
            out.flush();
        }

        GradientExchangeException failureOfStep(int step, GradientMessage mine) throws Exception {
            try (SocketExchange ex = root.get(10, TimeUnit.SECONDS)) {
                return assertThrows(GradientExchangeException.class, () -> ex.allReduce(step, mine, true));
            }
        }

        @Override
        public void close() throws IOException {
            if (peer != null) {
                peer.close();
            }
        }
    }

    private static void header(DataOutputStream out, int magic, int kind, int rank, int step, int length)
            throws IOException {
        out.writeInt(magic);
        out.writeInt(kind);
        out.writeInt(rank);
        out.writeInt(step);
        out.writeInt(length);
    }

    private static void assertNames(GradientExchangeException e, int rank, int peer, int step, String... parts) {
        assertEquals(rank, e.rank());
        assertEquals(peer, e.peerRank());
        assertEquals(step, e.step());
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), e.getMessage() + " lacks " + part);
        }
    }

    @Test
    void aFrameWithABadMagicNamesThePeer() throws Exception {
        GradientMessage mine = message(new Random(2), 1, 16);
        try (RootWithFakePeer t = new RootWithFakePeer(FAST, ALIVE)) {
            t.sendGradients(0xCAFEBABE, 3, mine.toBytes());
            assertNames(t.failureOfStep(3, mine), 0, 1, 3, "rank 1 at /127.0.0.1:", "malformed frame",
                    "bad magic 0xcafebabe");
        }
    }

    @Test
    void aFrameOfAnotherStepIsAnError() throws Exception {
        GradientMessage mine = message(new Random(3), 1, 16);
        try (RootWithFakePeer t = new RootWithFakePeer(FAST, ALIVE)) {
            t.sendGradients(FrameChannel.MAGIC, 4, mine.toBytes());
            assertNames(t.failureOfStep(3, mine), 0, 1, 3, "frame step 4, expected 3");
        }
    }

    @Test
    void aMessageOfAnotherShapeIsAnError() throws Exception {
        GradientMessage mine = message(new Random(4), 1, 10);
        // 2 micro-batches of 2 floats have as many bytes as 1 of 10
        byte[] other = message(new Random(4), 2, 2).toBytes();
        assertEquals(mine.toBytes().length, other.length);
        try (RootWithFakePeer t = new RootWithFakePeer(FAST, ALIVE)) {
            t.sendGradients(FrameChannel.MAGIC, 1, other);
            assertNames(t.failureOfStep(1, mine), 0, 1, 1, "2 micro-batches of 2 floats, expected 1 of 10");
        }
    }

    @Test
    void aPeerThatDiesMidFrameIsNamed() throws Exception {
        GradientMessage mine = message(new Random(5), 1, 1000);
        try (RootWithFakePeer t = new RootWithFakePeer(FAST, ALIVE)) {
            DataOutputStream out = t.connect(1, 0);
            header(out, FrameChannel.MAGIC, FrameChannel.GRADIENTS, 1, 2, mine.toBytes().length);
            out.write(new byte[100]);
            out.flush();
            t.peer.close();
            assertNames(t.failureOfStep(2, mine), 0, 1, 2, "closed the connection", "after 100 of 4032 bytes");
        }
    }

    @Test
    void aSilentPeerTimesOut() throws Exception {
        ExchangeSettings quick = new ExchangeSettings(Exchange.SOCKETS, Duration.ofSeconds(5), Duration.ofMillis(300));
        try (RootWithFakePeer t = new RootWithFakePeer(quick, ALIVE)) {
            t.connect(1, 0);
            long t0 = System.nanoTime();
            GradientExchangeException e = t.failureOfStep(1, message(new Random(6), 1, 4));
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertNames(e, 0, 1, 1, "sent nothing for 300 ms");
            assertTrue(seconds >= 0.25 && seconds < 3, "timed out after " + seconds + " s");
        }
    }

    @Test
    void aKilledTaskStopsWaiting() throws Exception {
        AtomicBoolean killed = new AtomicBoolean();
        Runnable alive = () -> {
            if (killed.get()) {
                throw new IllegalStateException("killed");
            }
        };
        try (RootWithFakePeer t = new RootWithFakePeer(FAST, alive)) {
            t.connect(1, 0);
            try (SocketExchange ex = t.root.get(10, TimeUnit.SECONDS)) {
                Future<?> waiting = pool.submit(() -> ex.allReduce(1, message(new Random(7), 1, 4), true));
                Thread.sleep(200);
                killed.set(true);
                ExecutionException e = assertThrows(ExecutionException.class, () -> waiting.get(2, TimeUnit.SECONDS));
                assertEquals("killed", e.getCause().getMessage());
            }
        }
    }

    @Test
    void aStrayConnectionIsDroppedAndThePeerStillJoins() throws Exception {
        try (RootWithFakePeer t = new RootWithFakePeer(FAST, ALIVE)) {
            t.connect(1, 1); // an earlier attempt's nonce
            Socket stray = t.peer;
            t.connect(1, 0);
            try (SocketExchange ex = t.root.get(10, TimeUnit.SECONDS)) {
                assertEquals(-1, stray.getInputStream().read(), "the stray connection is closed");
                stray.close();
            }
        }
    }

    @Test
    void ranksThatNeverConnectAreNamed() {
        ExchangeSettings quick = new ExchangeSettings(Exchange.SOCKETS, Duration.ofMillis(300), Duration.ofSeconds(5));
        GradientExchangeException e = assertThrows(GradientExchangeException.class,
                () -> SocketExchange.open(0, 3, "127.0.0.1", mine -> new String[] {mine, "a", "b"}, ALIVE, quick));
        assertNames(e, 0, 1, 0, "ranks [1, 2] did not connect to /127.0.0.1:", "within 300 ms");
    }

    @Test
    void aRootThatDiesIsNamedByItsPeers() throws Exception {
        try (ServerSocket fakeRoot = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Future<GradientExchangeException> peer = pool.submit(() -> {
                try (SocketExchange ex = SocketExchange.open(1, 2, "127.0.0.1",
                        mine -> new String[] {"127.0.0.1 " + fakeRoot.getLocalPort() + " 42", mine}, ALIVE, FAST)) {
                    return assertThrows(GradientExchangeException.class,
                            () -> ex.allReduce(1, message(new Random(8), 1, 4), true));
                }
            });
            try (Socket s = fakeRoot.accept()) {
                DataInputStream in = new DataInputStream(s.getInputStream());
                assertEquals(FrameChannel.MAGIC, in.readInt());
                assertEquals(FrameChannel.HELLO, in.readInt());
                assertEquals(1, in.readInt());
                in.skipNBytes(8);
                assertEquals(42L, in.readLong());
                in.skipNBytes(FrameChannel.HEADER_BYTES + GradientMessage.byteSize(1, 4)); // its step-1 gradients
            }
            assertNames(peer.get(10, TimeUnit.SECONDS), 1, 0, 1, "rank 0 at /127.0.0.1:", "closed the connection");
        }
    }

    @Test
    void aRefusedConnectionIsNamed() throws Exception {
        int port;
        try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = closed.getLocalPort();
        }
        GradientExchangeException e = assertThrows(GradientExchangeException.class, () -> SocketExchange.open(1, 2,
                "127.0.0.1", mine -> new String[] {"127.0.0.1 " + port + " 1", mine}, ALIVE, FAST));
        assertNames(e, 1, 0, 0, "cannot connect to rank 0 at /127.0.0.1:" + port);
    }

    @Test
    void theHostOfATaskAddress() {
        assertEquals("127.0.0.1", SocketExchange.hostOf("127.0.0.1:40123"));
        assertEquals("node-3.cluster", SocketExchange.hostOf("node-3.cluster:7078"));
        assertEquals("::1", SocketExchange.hostOf("[::1]:7078"));
        assertEquals("localhost", SocketExchange.hostOf("localhost"));
        assertEquals("fe80::1", SocketExchange.hostOf("fe80::1"));
    }
}
