package io.taskstate.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.taskstate.client.TaskStateClient;
import io.taskstate.client.TaskStateException;
import io.taskstate.protocol.CommandType;
import io.taskstate.protocol.Json;
import java.io.BufferedReader;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code taskstate task import} and {@code task export}: many tasks in or out at once, with progress on a terminal. */
final class TaskTransfer {
    /** Fields a task has but a create does not take: dropped from imported lines, so an NDJSON export imports as is. */
    static final Set<String> SERVER_FIELDS = Set.of("id", "subtask_ids", "created_at", "updated_at", "completed_at",
            "status_reason", "lease_expires_at", "lease_millis");

    private TaskTransfer() {
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = {"Create tasks from NDJSON: one create body per line ({\"title\": ..., ...}; an NDJSON export works too).",
                    "Lines are sent in pipelined batches; a refused line does not stop the others. Prints how many were "
                            + "imported and each failed line's number and reason; exits 5 if any line failed.",
                    "A parent_task_id naming the id of a line earlier in the file is mapped to the task that line created."})
    static final class Import extends ClientCommand {
        @Parameters(index = "0", paramLabel = "FILE", description = "The NDJSON file, or - for standard input.")
        String file;

        @Option(names = "--batch", paramLabel = "N", defaultValue = "500",
                description = "Lines sent before their replies are awaited, 1 to 1000 (default ${DEFAULT-VALUE}).")
        int batch;

        @Override
        int run(TaskStateClient client, Output out) throws IOException {
            if (batch < 1 || batch > 1000) {
                throw new TaskStateException.Invalid("--batch must be from 1 to 1000, got " + batch, null);
            }
            PrintWriter err = spec.commandLine().getErr();
            long size = file.equals("-") ? -1 : Files.size(Path.of(file));
            Counting in = new Counting(file.equals("-") ? System.in : Files.newInputStream(Path.of(file)));
            Progress progress = Progress.onTerminal(err, "import", size);
            Importer importer = new Importer(client, batch);
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                int number = 0;
                while ((line = reader.readLine()) != null) {
                    number++;
                    importer.add(number, line);
                    progress.show(in.count, importer.done());
                }
                importer.flush();
            }
            progress.finish(importer.done());
            PrintWriter stdout = spec.commandLine().getOut();
            stdout.println("imported " + importer.imported + ", failed " + importer.failures.size());
            importer.failures.forEach(f -> err.println("line " + f));
            return importer.failures.isEmpty() ? ExitCodes.OK : ExitCodes.INVALID;
        }
    }

    /** Sends create commands a batch at a time and keeps what became of each line. */
    private static final class Importer {
        private final TaskStateClient client;
        private final int batch;
        private final String run = UUID.randomUUID().toString();
        private final List<Integer> lines = new ArrayList<>();
        private final List<Long> oldIds = new ArrayList<>();
        private final List<CompletableFuture<JsonNode>> sent = new ArrayList<>();
        private final Map<Long, Long> newIds = new HashMap<>();
        final List<String> failures = new ArrayList<>();
        long imported;

        Importer(TaskStateClient client, int batch) {
            this.client = client;
            this.batch = batch;
        }

        long done() {
            return imported + failures.size();
        }

        void add(int number, String line) {
            if (line.isBlank()) {
                return;
            }
            ObjectNode body;
            try {
                JsonNode parsed = Json.tree(line.getBytes(StandardCharsets.UTF_8));
                if (parsed == null || !parsed.isObject()) {
                    failures.add(number + ": not a JSON object; each line must be a create body such as {\"title\": \"...\"}");
                    return;
                }
                body = (ObjectNode) parsed;
            } catch (IOException e) {
                failures.add(number + ": not valid JSON: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j
                        ? j.getOriginalMessage() : e.getMessage()));
                return;
            }
            JsonNode oldId = body.get("id");
            body.remove(SERVER_FIELDS);
            JsonNode parent = body.get("parent_task_id");
            if (parent != null && parent.canConvertToLong()) {
                if (oldIds.contains(parent.asLong())) {
                    flush(); // the parent is in this batch: it must exist before its subtask is sent
                }
                Long mapped = newIds.get(parent.asLong());
                if (mapped != null) {
                    body.put("parent_task_id", mapped);
                }
            }
            Long routing = body.path("parent_task_id").canConvertToLong() ? body.get("parent_task_id").asLong() : null;
            lines.add(number);
            oldIds.add(oldId != null && oldId.canConvertToLong() ? oldId.asLong() : null);
            sent.add(client.write(CommandType.CREATE_TASK, null, routing != null && routing > 0 ? routing : null, body, null,
                    "import-" + run + "-" + number));
            if (sent.size() >= batch) {
                flush();
            }
        }

        void flush() {
            for (int i = 0; i < sent.size(); i++) {
                try {
                    JsonNode task = ClientCommand.await(sent.get(i));
                    imported++;
                    if (oldIds.get(i) != null) {
                        newIds.put(oldIds.get(i), task.get("id").asLong());
                    }
                } catch (TaskStateException e) {
                    failures.add(lines.get(i) + ": " + e.getMessage());
                }
            }
            sent.clear();
            lines.clear();
            oldIds.clear();
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = {"Write every task the filters match (newest first unless --sort says otherwise) as NDJSON "
                    + "(one task JSON per line) or CSV (a header row; subtask_ids and metadata as JSON).",
                    "The server streams the tasks as it reads them; nothing is held in memory."})
    static final class Export extends ClientCommand {
        @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "ndjson", description = "ndjson (default) or csv.")
        String format;

        @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write to FILE instead of standard output.")
        Path output;

        @ArgGroup(exclusive = false, heading = "Filters and order:%n")
        QueryOptions filters = new QueryOptions();

        @Override
        int run(TaskStateClient client, Output out) throws IOException {
            PrintWriter err = spec.commandLine().getErr();
            Progress progress = Progress.onTerminal(err, "export", -1);
            long lines = 0;
            boolean quoted = false;
            try (InputStream in = client.exportTasks(filters.query(), format);
                 java.io.Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8);
                 Writer writer = output == null ? new NotClosing(spec.commandLine().getOut())
                         : Files.newBufferedWriter(output, StandardCharsets.UTF_8)) {
                char[] buffer = new char[64 * 1024];
                int n;
                while ((n = reader.read(buffer)) > 0) {
                    writer.write(buffer, 0, n);
                    for (int i = 0; i < n; i++) {
                        // a line break inside a quoted CSV cell is not the end of a row
                        quoted ^= buffer[i] == '"';
                        lines += buffer[i] == '\n' && !quoted ? 1 : 0;
                    }
                    progress.show(-1, rows(lines));
                }
            }
            long rows = rows(lines);
            progress.finish(rows);
            err.println("exported " + rows + " tasks" + (output == null ? "" : " to " + output));
            return ExitCodes.OK;
        }

        private long rows(long lines) {
            return format.equals("csv") ? Math.max(0, lines - 1) : lines;
        }
    }

    /**
     * A one-line progress bar on stderr, redrawn at most ten times a second, when stderr is a
     * terminal ({@code System.console() != null}); silent when output is piped or captured.
     */
    static final class Progress {
        private final PrintWriter err;
        private final boolean on;
        private final String what;
        private final long totalBytes;
        private final long started = System.nanoTime();
        private long drawn;

        private Progress(PrintWriter err, boolean on, String what, long totalBytes) {
            this.err = err;
            this.on = on;
            this.what = what;
            this.totalBytes = totalBytes;
        }

        static Progress onTerminal(PrintWriter err, String what, long totalBytes) {
            return new Progress(err, System.console() != null, what, totalBytes);
        }

        void show(long bytes, long tasks) {
            long now = System.nanoTime();
            if (!on || now - drawn < 100_000_000L) {
                return;
            }
            drawn = now;
            double seconds = Math.max(1e-3, (now - started) / 1e9);
            String bar = "";
            if (totalBytes > 0 && bytes >= 0) {
                int width = 30;
                int filled = (int) Math.min(width, width * bytes / totalBytes);
                bar = "[" + "#".repeat(filled) + " ".repeat(width - filled) + "] " + Math.min(100, 100 * bytes / totalBytes) + "% ";
            }
            err.print("\r" + what + " " + bar + tasks + " tasks, " + Math.round(tasks / seconds) + "/s   ");
            err.flush();
        }

        void finish(long tasks) {
            if (on) {
                drawn = 0;
                show(totalBytes, tasks);
                err.println();
            }
        }
    }

    /** Standard output for a try-with-resources that must not close it. */
    private static final class NotClosing extends java.io.FilterWriter {
        NotClosing(Writer out) {
            super(out);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }

    /** Counts the bytes read, for the progress of an import. */
    private static final class Counting extends FilterInputStream {
        long count;

        Counting(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            count += b < 0 ? 0 : 1;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            count += Math.max(0, n);
            return n;
        }
    }
}
