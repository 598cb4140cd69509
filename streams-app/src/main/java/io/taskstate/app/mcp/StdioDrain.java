package io.taskstate.app.mcp;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.taskstate.protocol.Json;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Holds back the end of stdin until every request read from it has been answered on stdout. The
 * SDK's stdio transport stops writing as soon as it reads the end of input, so without this
 * {@code printf '...requests...' | taskstate mcp} would lose the answers still being worked on.
 * Requests and answers are counted per newline-delimited JSON-RPC message: a request has an
 * {@code id} and a {@code method}, an answer an {@code id} and a {@code result} or {@code error}.
 */
final class StdioDrain {
    private final Duration deadline;
    private long requests;
    private long answers;
    private boolean ended;

    /** @param deadline how long the end of input waits for the answers before it goes through anyway */
    StdioDrain(Duration deadline) {
        this.deadline = deadline;
    }

    /** Blocks until stdin has ended and the transport has been told: the answers are out, or the deadline passed. */
    synchronized void awaitEnd() throws InterruptedException {
        while (!ended) {
            wait();
        }
    }

    InputStream input(InputStream stdin) {
        return new FilterInputStream(stdin) {
            private final Lines lines = new Lines(kind -> {
                if (kind == Kind.REQUEST) {
                    requested();
                }
            });

            @Override
            public int read() throws IOException {
                int c = super.read();
                if (c < 0) {
                    lines.end();
                    drain();
                } else {
                    lines.accept((byte) c);
                }
                return c;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n < 0) {
                    lines.end();
                    drain();
                } else {
                    lines.accept(b, off, n);
                }
                return n;
            }
        };
    }

    /** An answer counts once it is flushed, so nothing the client waits for is left in a buffer at exit. */
    OutputStream output(OutputStream stdout) {
        return new FilterOutputStream(stdout) {
            private int written;
            private final Lines lines = new Lines(kind -> {
                if (kind == Kind.ANSWER) {
                    written++;
                }
            });

            @Override
            public void write(int b) throws IOException {
                out.write(b);
                lines.accept((byte) b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
                lines.accept(b, off, len);
            }

            @Override
            public void flush() throws IOException {
                out.flush();
                answered(written);
                written = 0;
            }
        };
    }

    private synchronized void requested() {
        requests++;
    }

    private synchronized void answered(int count) {
        if (count > 0) {
            answers += count;
            notifyAll();
        }
    }

    private synchronized void drain() throws IOException {
        long until = System.nanoTime() + deadline.toNanos();
        try {
            while (answers < requests && System.nanoTime() < until) {
                TimeUnit.NANOSECONDS.timedWait(this, until - System.nanoTime());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("Interrupted while the last answers were written");
        } finally {
            ended = true;
            notifyAll();
        }
    }

    enum Kind { REQUEST, ANSWER, OTHER }

    /** Splits bytes into lines and tells what JSON-RPC message each one is. */
    private static final class Lines {
        private final java.util.function.Consumer<Kind> sink;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();

        Lines(java.util.function.Consumer<Kind> sink) {
            this.sink = sink;
        }

        void accept(byte b) {
            if (b == '\n') {
                flushLine();
            } else {
                line.write(b);
            }
        }

        void accept(byte[] b, int off, int len) {
            int start = off;
            for (int i = off; i < off + len; i++) {
                if (b[i] == '\n') {
                    line.write(b, start, i - start);
                    flushLine();
                    start = i + 1;
                }
            }
            line.write(b, start, off + len - start);
        }

        /** The end of input: a last line without a newline still counts, as the transport reads it. */
        void end() {
            flushLine();
        }

        private void flushLine() {
            if (line.size() > 0) {
                sink.accept(kind(line.toByteArray()));
                line.reset();
            }
        }

        /** Reads only the top-level field names; anything that is not a JSON object is {@link Kind#OTHER}. */
        static Kind kind(byte[] message) {
            boolean id = false;
            boolean method = false;
            boolean outcome = false;
            try (JsonParser p = Json.MAPPER.getFactory().createParser(message)) {
                if (p.nextToken() != JsonToken.START_OBJECT) {
                    return Kind.OTHER;
                }
                for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
                    String name = p.currentName();
                    JsonToken value = p.nextToken();
                    switch (name) {
                        case "id" -> id = value != JsonToken.VALUE_NULL;
                        case "method" -> method = true;
                        case "result", "error" -> outcome = true;
                        default -> { }
                    }
                    p.skipChildren();
                }
            } catch (IOException | RuntimeException e) {
                return Kind.OTHER;
            }
            return id && method ? Kind.REQUEST : id && outcome ? Kind.ANSWER : Kind.OTHER;
        }
    }
}
