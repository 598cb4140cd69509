package io.taskstate.app.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskstate.app.TaskStateConfig;
import io.taskstate.app.testing.KafkaBroker;
import io.taskstate.app.testing.RunningApp;
import io.taskstate.client.NewTask;
import io.taskstate.client.TaskStateClient;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskStatus;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard at {@code /} in a real browser: the system's headless Chromium, driven through
 * {@code /usr/bin/chromedriver} (Debian packages {@code chromium} and {@code chromium-driver}, which
 * {@code .ci/run} installs when missing). A task created through the SDK shows up without a
 * reload, the status filter narrows the table, a click opens the task's detail; with tokens the
 * page asks for one and then loads. The last screen is saved to {@code target/dashboard.png}.
 */
@ExtendWith(KafkaBroker.class)
class DashboardIT {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static final String READ = "read-" + UUID.randomUUID();
    private static final String WRITE = "write-" + UUID.randomUUID();

    private static RunningApp open;
    private static RunningApp guarded;
    private ChromeDriver browser;
    private WebDriverWait waiting;

    @BeforeAll
    static void start() {
        assertThat(CHROMIUM).as("headless Chromium: apt-get install -y chromium chromium-driver (.ci/run does)").isExecutable();
        assertThat(CHROMEDRIVER).as("chromedriver: apt-get install -y chromium-driver (.ci/run does)").isExecutable();
        open = RunningApp.start(2);
        guarded = RunningApp.start(1, Map.of(TaskStateConfig.API_TOKENS, "read:" + READ + ",write:" + WRITE));
    }

    @AfterAll
    static void stop() {
        if (open != null) {
            open.close();
        }
        if (guarded != null) {
            guarded.close();
        }
    }

    @BeforeEach
    void openBrowser() {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,1100", "--no-first-run", "--disable-extensions");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        // the page re-renders its tables on every update: an element found a moment ago may be gone
        waiting = new WebDriverWait(browser, DEADLINE);
        waiting.ignoring(StaleElementReferenceException.class);
    }

    @AfterEach
    void closeBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    @Test
    void a_task_created_through_the_sdk_appears_live_can_be_filtered_and_opened() throws Exception {
        // Given the page, loaded, on the live stream of /api/v1/events (not polling)
        browser.get(open.baseUrl() + "/");
        waiting.until(ExpectedConditions.textToBe(By.id("live-mode"), "live"));
        String tag = UUID.randomUUID().toString().substring(0, 8);

        // When tasks are created through the SDK, with no reload of the page
        Task pending;
        Task blocked;
        try (TaskStateClient client = open.client()) {
            pending = client.createTask(NewTask.titled("pending " + tag));
            blocked = client.createTask(NewTask.titled("blocked " + tag).status(TaskStatus.BLOCKED));
            client.createTask(NewTask.titled("subtask of " + tag).parent(blocked.id()));
            client.heartbeat("worker-" + tag);
        }

        // Then they appear in the table, and the counts follow
        waiting.until(d -> titles().containsAll(List.of("pending " + tag, "blocked " + tag)));
        waiting.until(ExpectedConditions.textToBe(By.id("count-status-blocked"), "1"));
        waiting.until(ExpectedConditions.textToBePresentInElementLocated(By.id("instances-active"), "worker-" + tag));

        // When the table is filtered by status, only the blocked one is left
        new Select(browser.findElement(By.id("filter-status"))).selectByValue("blocked");
        waiting.until(d -> titles().equals(List.of("blocked " + tag)));

        // When the task is opened, its detail shows its fields, its subtask and its history (or that there is none)
        waiting.until(d -> {
            row(blocked.id()).click();
            return true;
        });
        waiting.until(ExpectedConditions.textToBe(By.id("detail-title"), "blocked " + tag));
        waiting.until(ExpectedConditions.textToBePresentInElementLocated(By.id("detail-subtasks"), "subtask of " + tag));
        waiting.until(d -> !d.findElement(By.id("detail-history-note")).getText().isBlank()
                || !d.findElements(By.cssSelector("#detail-history tbody tr")).isEmpty());
        assertThat(browser.findElement(By.id("detail-fields")).getText()).contains("status", "blocked", "created");
        assertThat(titles()).doesNotContain("pending " + tag);
        assertThat(pending.id()).isNotEqualTo(blocked.id());
        screenshot("dashboard.png");
    }

    @Test
    void with_tokens_the_page_asks_for_one_and_then_loads() throws Exception {
        String title = "guarded " + UUID.randomUUID().toString().substring(0, 8);
        new Http(guarded.baseUrl(), WRITE).post("/api/v1/tasks", "{\"title\":\"" + title + "\"}");

        browser.get(guarded.baseUrl() + "/");
        WebElement input = waiting.until(ExpectedConditions.visibilityOfElementLocated(By.id("token-input")));
        assertThat(titles()).doesNotContain(title);
        input.sendKeys(READ);
        browser.findElement(By.id("token-submit")).click();

        waiting.until(ExpectedConditions.invisibilityOfElementLocated(By.id("token-dialog")));
        waiting.until(d -> titles().contains(title));
        screenshot("dashboard-auth.png");
    }

    /** The titles in the task table, read in one step (the table may be re-rendered meanwhile). */
    @SuppressWarnings("unchecked")
    private List<String> titles() {
        return (List<String>) browser.executeScript(
                "return Array.from(document.querySelectorAll('#tasks tbody td.title')).map(td => td.textContent);");
    }

    private WebElement row(long id) {
        return browser.findElement(By.cssSelector("#tasks tbody tr[data-task-id='" + id + "']"));
    }

    private void screenshot(String name) throws Exception {
        File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Path target = Path.of("target", name);
        Files.createDirectories(target.getParent());
        Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
    }
}
