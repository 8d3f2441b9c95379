package io.github.peft4j.mkl;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The native helper ({@code src/main/native/mkl_amd_helper.c}, compiled by the build where a C compiler
 * exists): extracted from the classpath to a temporary file, loaded with {@link System#load}, then the
 * file is deleted (the mapping stays).
 */
final class MklHelperLibrary {

    /** Classpath location, relative to this class, where the build puts the helper. */
    static final String RESOURCE = "linux-x86_64/libpeft4j_mkl_amd.so";

    private static final Logger LOG = LoggerFactory.getLogger(MklHelperLibrary.class);

    /** Outcome of {@link #load()}. */
    enum LoadResult { LOADED, MISSING, FAILED }

    private static LoadResult loaded;

    private MklHelperLibrary() {}

    /** Loads the helper once (local scope: it interposes on nothing until {@link #promote()}). */
    static synchronized LoadResult load() {
        if (loaded == null) {
            loaded = extractAndLoad();
        }
        return loaded;
    }

    private static LoadResult extractAndLoad() {
        try (InputStream in = MklHelperLibrary.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                LOG.debug("MKL vendor helper {} not on the classpath (built without a C compiler)", RESOURCE);
                return LoadResult.MISSING;
            }
            Path file = Files.createTempFile("peft4j-mkl-amd", ".so");
            try {
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
                System.load(file.toAbsolutePath().toString());
            } finally {
                Files.deleteIfExists(file);
            }
            return LoadResult.LOADED;
        } catch (IOException | LinkageError | SecurityException e) {
            LOG.debug("MKL vendor helper could not be loaded: {}", e.toString());
            return LoadResult.FAILED;
        }
    }

    /**
     * Moves the loaded helper into the process's global symbol scope, so that its
     * {@code mkl_serv_intel_cpu_true} wins over libtorch's own when libtorch is loaded afterwards.
     *
     * @return 1 on success, 0 otherwise
     */
    static native int promote();

    /**
     * @return {@code mkl_serv_cpu_detect()} of the loaded libtorch_cpu.so (0 = MKL's generic code path),
     *     or -1 when libtorch is not loaded yet
     */
    static native int codeBranch();
}
