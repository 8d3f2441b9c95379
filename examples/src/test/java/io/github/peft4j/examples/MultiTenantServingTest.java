package io.github.peft4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MultiTenantServingTest {

    @TempDir
    Path tmp;

    @Test
    void eachTenantGetsItsOwnAdapterOverHttpAndASwapReachesNewRequests() throws Exception {
        MultiTenantServing.Result r = MultiTenantServing.demo(Path.of("../assets/base-model"), tmp);
        assertNotEquals(r.acmeAlone(), r.globexAlone(), "the adapters changed nothing");
        for (int i = 0; i < r.concurrent().size(); i++) {
            assertEquals(i % 2 == 0 ? r.acmeAlone() : r.globexAlone(), r.concurrent().get(i), "request " + i);
        }
        assertEquals(403, r.crossTenantStatus());
        assertNotEquals(r.versionBeforeSwap(), r.versionAfterSwap());
        assertNotEquals(r.acmeAlone(), r.acmeAfterSwap(), "the swap changed nothing");
    }
}
