package io.github.peft4j.review;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The review page in a real headless Chromium (Debian's {@code chromium} and {@code chromedriver},
 * paths set explicitly, so Selenium Manager never runs and nothing is downloaded): load it from
 * {@code file://}, mark outputs, save, and summarize the file the browser saved. Skipped, with
 * {@link #SKIP_MARKER} in the report, only where the browser is not installed; CI installs it and
 * fails if this test was skipped ({@code .ci/run}).
 */
class ReviewPageBrowserTest {

    /** In the surefire report of a skipped run; {@code .ci/run} fails when it finds it. */
    static final String SKIP_MARKER = "peft4j browser test skipped: chromium or chromedriver missing";

    private static final Path CHROMIUM = Path.of(System.getProperty("peft4j.chromium", "/usr/bin/chromium"));
    private static final Path CHROMEDRIVER = Path.of(System.getProperty("peft4j.chromedriver", "/usr/bin/chromedriver"));
    /** Held so that the setting stays: Selenium warns that it has no DevTools for this Chromium, which the test never uses. */
    private static final Logger DEVTOOLS_LOG = Logger.getLogger("org.openqa.selenium.devtools");

    static {
        DEVTOOLS_LOG.setLevel(Level.SEVERE);
    }

    @TempDir
    Path tmp;

    private WebDriver browser;
    private Path downloads;

    @BeforeEach
    void startBrowser() throws IOException {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                () -> SKIP_MARKER + " (" + CHROMIUM + ", " + CHROMEDRIVER + "; apt-get install chromium chromium-driver)");
        downloads = Files.createDirectories(tmp.resolve("downloads"));
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--user-data-dir=" + tmp.resolve("profile"));
        options.setExperimentalOption("prefs", Map.of("download.default_directory", downloads.toString(),
                "download.prompt_for_download", false, "download.directory_upgrade", true));
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
    }

    @AfterEach
    void stopBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    @Test
    void marksSavedInTheBrowserSummarizeToTheNumbersClicked() throws Exception {
        ReviewSheet sheet = sheet();
        Path dir = tmp.resolve("review");
        sheet.writeTo(dir);
        browser.get(dir.resolve(ReviewSheet.HTML_FILE).toUri().toString());
        assertEquals(sheet.id(), browser.findElement(By.id("sheet-id")).getText());
        assertEquals("0 of 4 prompts judged", browser.findElement(By.id("progress")).getText());
        browser.findElement(By.id("reviewer")).sendKeys("ann");

        // p1, p2: the candidate is preferred; p3: a tie; p4: the base is preferred and the candidate flagged
        prefer(sheet, "p1", "candidate");
        accept(sheet, "p1", "candidate", true);
        accept(sheet, "p1", "base", false);
        flag(sheet, "p1", "base", "wrong_fact");
        prefer(sheet, "p2", "candidate");
        accept(sheet, "p2", "candidate", true);
        click("pref-p3-tie");
        accept(sheet, "p3", "candidate", true);
        accept(sheet, "p3", "base", true);
        prefer(sheet, "p4", "base");
        accept(sheet, "p4", "candidate", false);
        flag(sheet, "p4", "candidate", "unsafe");
        flag(sheet, "p4", "candidate", "pii");
        flag(sheet, "p4", "candidate", "wrong_fact");
        flag(sheet, "p4", "candidate", "wrong_fact");   // unticked again
        assertEquals("4 of 4 prompts judged", browser.findElement(By.id("progress")).getText());

        // the marks survive a reload (localStorage)
        browser.navigate().refresh();
        assertTrue(browser.findElement(By.id("pref-p3-tie")).isSelected());
        assertTrue(browser.findElement(By.id(flagId(sheet, "p4", "candidate", "pii"))).isSelected());
        assertFalse(browser.findElement(By.id(flagId(sheet, "p4", "candidate", "wrong_fact"))).isSelected());
        assertEquals("ann", browser.findElement(By.id("reviewer")).getAttribute("value"));
        String stored = (String) ((JavascriptExecutor) browser).executeScript(
                "return window.localStorage.getItem('peft4j-review:' + arguments[0]);", sheet.id());
        assertTrue(stored.contains("\"reviewer\":\"ann\""), stored);

        click("save");
        Path saved = awaitDownload("verdicts.jsonl");
        assertEquals("saved 4 verdicts as verdicts.jsonl", browser.findElement(By.id("status")).getText());
        List<Verdict> verdicts = VerdictFile.read(saved, ReviewSheet.read(dir.resolve(ReviewSheet.JSONL_FILE)));
        assertEquals(4, verdicts.size());
        ReviewSummary s = ReviewSummary.of(sheet, verdicts);
        assertEquals(List.of("ann"), s.reviewers());
        // 2 wins, 1 loss, 1 tie: (2 + 0.5) / 4 = 0.625, Wilson 95% [0.2194, 0.9081]
        Comparison c = s.comparison("candidate", "base");
        assertEquals(new Comparison("candidate", "base", 2, 1, 1), c);
        assertEquals(0.625, c.winRate(), 1e-12);
        assertEquals(0.2194265201, c.interval().low(), 1e-9);
        assertEquals(0.9081007708, c.interval().high(), 1e-9);
        assertEquals(new ReviewSummary.Acceptance(3, 4), s.acceptance().get("candidate"));
        assertEquals(new ReviewSummary.Acceptance(1, 2), s.acceptance().get("base"));
        assertEquals(1, s.flags().get("candidate").get(Flag.UNSAFE));
        assertEquals(1, s.flags().get("candidate").get(Flag.PII));
        assertEquals(0, s.flags().get("candidate").get(Flag.WRONG_FACT));
        assertEquals(1, s.flags().get("base").get(Flag.WRONG_FACT));
    }

    /** Four prompts, base and candidate, blinded with a seed (the test finds each label from the key). */
    private static ReviewSheet sheet() {
        List<ReviewSheet.Prompt> prompts = new ArrayList<>();
        List<String> base = new ArrayList<>();
        List<String> candidate = new ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            prompts.add(new ReviewSheet.Prompt("Question " + i + " <about returns> & \"quotes\"", i == 2 ? null : "Reference " + i));
            base.add("base answer " + i);
            candidate.add("candidate answer " + i);
        }
        Map<ReviewedSystem, List<String>> outputs = new LinkedHashMap<>();
        outputs.put(Sheets.BASE, base);
        outputs.put(Sheets.CANDIDATE, candidate);
        return ReviewSheet.blind(prompts, outputs, 42, null);
    }

    private void prefer(ReviewSheet sheet, String item, String system) {
        click("pref-" + item + "-" + sheet.item(item).labelOf(system));
    }

    private void accept(ReviewSheet sheet, String item, String system, boolean ok) {
        click("ok-" + item + "-" + sheet.item(item).labelOf(system) + "-" + (ok ? "yes" : "no"));
    }

    private void flag(ReviewSheet sheet, String item, String system, String flag) {
        click(flagId(sheet, item, system, flag));
    }

    private static String flagId(ReviewSheet sheet, String item, String system, String flag) {
        return "flag-" + item + "-" + sheet.item(item).labelOf(system) + "-" + flag;
    }

    private void click(String id) {
        browser.findElement(By.id(id)).click();
    }

    private Path awaitDownload(String name) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        Path file = downloads.resolve(name);
        while (System.nanoTime() < deadline) {
            try (Stream<Path> files = Files.list(downloads)) {
                boolean partial = files.anyMatch(p -> p.getFileName().toString().endsWith(".crdownload"));
                if (!partial && Files.isRegularFile(file) && Files.size(file) > 0) {
                    return file;
                }
            }
            Thread.sleep(100);
        }
        try (Stream<Path> files = Files.list(downloads)) {
            throw new AssertionError("the browser saved no " + name + " in 20 s; the download folder holds " + files.toList());
        }
    }
}
