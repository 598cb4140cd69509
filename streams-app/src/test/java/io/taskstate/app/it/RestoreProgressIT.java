package io.taskstate.app.it;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.taskstate.app.TaskStateConfig;
import io.taskstate.app.query.Restorations;
import io.taskstate.app.testing.KafkaBroker;
import io.taskstate.app.testing.RunningApp;
import io.taskstate.client.NewTask;
import io.taskstate.client.TaskStateClient;
import io.taskstate.protocol.Task;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

/**
 * An instance that starts without local state rebuilds its stores from the changelogs and logs how
 * far along it is (percent, records per second, time left), then a summary; afterwards it answers
 * every task written before.
 */
@ExtendWith(KafkaBroker.class)
class RestoreProgressIT {
    private static final int TASKS = 3000;

    @Test
    void a_start_on_an_empty_data_dir_logs_restore_progress_and_then_answers_every_task() throws Exception {
        String name = "t" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> sameApp = Map.of(TaskStateConfig.TOPIC_PREFIX, name + ".", TaskStateConfig.APPLICATION_ID, name);
        long lastId;
        try (RunningApp first = RunningApp.start(2, sameApp); TaskStateClient client = first.client()) {
            List<CompletableFuture<Task>> created = new ArrayList<>();
            for (int i = 0; i < TASKS; i++) {
                created.add(client.createTaskAsync(NewTask.titled("restore me " + i).description("x".repeat(200))));
            }
            CompletableFuture.allOf(created.toArray(CompletableFuture[]::new)).join();
            lastId = created.get(TASKS - 1).join().id();
        }

        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        Logger logger = (Logger) LoggerFactory.getLogger(Restorations.class);
        logged.start();
        logger.addAppender(logged);
        logger.setLevel(Level.INFO);
        try (RunningApp second = RunningApp.start(2, sameApp); TaskStateClient client = second.client()) {
            // RunningApp.start returned once /health/ready answered 200, so the restore is over
            List<String> lines = logged.list.stream().map(ILoggingEvent::getFormattedMessage).toList();

            assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("Restoring state: ")
                    .containsPattern("\\d+\\.\\d% \\(\\d+ of \\d+ records").contains("records/s", "ETA"));
            assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("State restored: ").contains("records/s"));
            assertThat(client.getTask(lastId).title()).isEqualTo("restore me " + (TASKS - 1));
        } finally {
            logger.detachAppender(logged);
            logger.setLevel(null);
        }
    }
}
