package io.github.peft4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * A non-streaming client that closes its socket mid-generation: its request is cancelled (the
 * engine's cancelled count goes up, {@code /metrics} shows it) and its only batch slot goes to the
 * request waiting behind it.
 */
class ClientDisconnectTest {

    @Test
    void aClosedConnectionCancelsItsRequestAndFreesItsSlot() throws Exception {
        ServeConfig config = ServeConfig.builder(ServeFixtures.BASE).port(0).maxBatch(1).build();
        try (PeftServer server = PeftServer.start(config)) {
            String body = ServeFixtures.JSON.createObjectNode().put("model", "base-model").put("prompt", "Tell me")
                    .put("max_tokens", 480).put("temperature", 0).put("ignore_eos", true).toString();
            CompletableFuture<HttpResponse<String>> behind;
            try (Socket socket = new Socket("127.0.0.1", server.port())) {
                OutputStream out = socket.getOutputStream();
                out.write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body)
                        .getBytes(StandardCharsets.UTF_8));
                out.flush();
                assertTrue(until(() -> server.scheduler().running() == 1), "the request never started");
                behind = ServeFixtures.CLIENT.sendAsync(HttpRequest.newBuilder(URI.create(server.baseUrl()
                        + "/v1/completions")).POST(HttpRequest.BodyPublishers.ofString(ServeFixtures.greedy("base-model",
                        "Hi", 2))).build(), HttpResponse.BodyHandlers.ofString());
                assertTrue(until(() -> server.scheduler().waiting() == 1), "the second request is not waiting");
                assertEquals(0, server.scheduler().cancelledRequests());
            }
            // the socket is closed: the first request is cancelled, the second takes its slot
            HttpResponse<String> second = behind.get(60, TimeUnit.SECONDS);
            assertEquals(200, second.statusCode(), second.body());
            assertEquals(1, server.scheduler().cancelledRequests());
            assertFalse(server.scheduler().running() > 0 && server.scheduler().waiting() > 0);
            String metrics = ServeFixtures.get(server, "/metrics", null).text();
            assertTrue(metrics.contains("peft4j_cancelled_requests_total 1.0"), metrics);
            assertTrue(until(() -> ServeFixtures.get(server, "/metrics", null).text()
                    .contains("peft4j_requests_total{adapter=\"base-model\",outcome=\"client_closed_request\"} 1.0")));
        }
    }

    /** Polls {@code condition} for at most 30 seconds. */
    private static boolean until(BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }
}
