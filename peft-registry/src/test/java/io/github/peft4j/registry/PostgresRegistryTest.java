package io.github.peft4j.registry;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;

/**
 * The registry contract on PostgreSQL, when {@code PEFT4J_TEST_POSTGRES_URL} (system property or
 * environment variable) names a database; each test gets a schema of its own, dropped afterwards.
 * {@code .ci/run} starts a server and fails the build if these tests were skipped.
 */
class PostgresRegistryTest extends RegistryContract {

    static final String URL_KEY = TestPostgres.URL_KEY;

    private TestPostgres.Schema schema;
    private String url;

    @BeforeEach
    void createSchema() throws Exception {
        Assumptions.assumeTrue(TestPostgres.baseUrl() != null, URL_KEY + " is not set");
        schema = TestPostgres.Schema.create("peft4j_test_");
        url = schema.url();
    }

    @AfterEach
    void dropSchema() throws Exception {
        if (schema != null) {
            schema.close();
        }
    }

    @Override
    AdapterRegistry open() {
        return AdapterRegistry.open(url, tmp.resolve("blobs"));
    }

    @Override
    List<String> location() {
        return List.of(url, tmp.resolve("blobs").toString());
    }
}
