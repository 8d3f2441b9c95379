package io.github.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.github.peft4j.core.PeftModel;
import io.github.peft4j.lora.LoraConfig;
import io.github.peft4j.models.HfModels;
import io.github.peft4j.models.PretrainedModel;
import io.github.peft4j.registry.AdapterRegistry;
import io.github.peft4j.registry.Lineage;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code peft4j serve}: the bundled base and a registered adapter over HTTP on 127.0.0.1, then it stops by itself. */
class ServeCommandTest {

    @TempDir
    Path tmp;

    @Test
    void servesTheBaseAndTheRegistrysAdapters() throws Exception {
        Path adapter = tmp.resolve("run/adapter");
        try (NDManager m = NDManager.newBaseManager(); PretrainedModel base = HfModels.load(Path.of("../assets/base-model"), m);
                PeftModel peft = PeftModel.create(base.block(), LoraConfig.builder().r(2).targetModules("q_proj").build())) {
            peft.save(adapter);
        }
        AdapterRegistry.open(tmp.resolve("registry")).push("support", adapter, Lineage.none());
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path log = tmp.resolve("requests.jsonl");
        Thread serve = new Thread(() -> Peft4j.run("serve", "--model", "../assets/base-model", "--port", String.valueOf(port),
                "--registry", tmp.resolve("registry").toString(), "--request-log", log.toString(),
                "--registry-cache", tmp.resolve("cache").toString(), "--stop-after-seconds", "8"));
        serve.start();
        HttpClient client = HttpClient.newHttpClient();
        String url = "http://127.0.0.1:" + port;
        long until = System.currentTimeMillis() + 15_000;
        int health = 0;
        while (health != 200 && System.currentTimeMillis() < until) {
            try {
                health = client.send(HttpRequest.newBuilder(URI.create(url + "/health")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (java.io.IOException e) {
                Thread.sleep(200);
            }
        }
        assertEquals(200, health);
        String models = client.send(HttpRequest.newBuilder(URI.create(url + "/v1/models")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(models.contains("\"base-model\"") && models.contains("\"support\""), models);
        HttpResponse<String> chat = client.send(HttpRequest.newBuilder(URI.create(url + "/v1/chat/completions"))
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"support\","
                        + " \"max_tokens\": 4, \"temperature\": 0, \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, chat.statusCode(), chat.body());
        assertEquals("support:1", chat.headers().firstValue("X-Peft4j-Version").orElse(null));
        serve.join(30_000);
        assertTrue(Files.readString(log).contains("\"version\":\"support:1\""));
    }
}
