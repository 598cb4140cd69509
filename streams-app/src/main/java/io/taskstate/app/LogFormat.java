package io.taskstate.app;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import java.util.Iterator;
import java.util.Locale;
import org.slf4j.LoggerFactory;

/**
 * How log lines are written ({@value TaskStateConfig#LOG_FORMAT}): {@code text} as configured in
 * {@code logback.xml} (time, level, logger, message), or {@code json}, one JSON object a line for
 * log collectors, with {@code timestamp} (epoch millis), {@code level}, {@code threadName},
 * {@code loggerName}, {@code formattedMessage} and {@code throwable}. Logback's own encoder; no
 * other dependency.
 */
public enum LogFormat {
    TEXT,
    JSON;

    /** The setting's value, {@link #TEXT} when unset. */
    public static LogFormat parse(String value) {
        if (value == null || value.isBlank()) {
            return TEXT;
        }
        return switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "text" -> TEXT;
            case "json" -> JSON;
            default -> throw new IllegalArgumentException(TaskStateConfig.LOG_FORMAT + " must be text or json, got '" + value + "'");
        };
    }

    /** Makes every appender of the root logger write this format from now on. */
    public void apply() {
        if (this == TEXT || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
            if (it.next() instanceof OutputStreamAppender<ILoggingEvent> appender) {
                appender.stop();
                appender.setEncoder(jsonEncoder(context));
                appender.start();
            }
        }
    }

    /** One JSON object a line, without logback's context, sequence numbers and raw arguments. */
    static JsonEncoder jsonEncoder(LoggerContext context) {
        JsonEncoder encoder = new JsonEncoder();
        encoder.setContext(context);
        encoder.setWithContext(false);
        encoder.setWithSequenceNumber(false);
        encoder.setWithNanoseconds(false);
        encoder.setWithMessage(false);
        encoder.setWithArguments(false);
        encoder.setWithFormattedMessage(true);
        encoder.start();
        return encoder;
    }
}
