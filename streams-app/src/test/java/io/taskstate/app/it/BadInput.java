package io.taskstate.app.it;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Nasty values for input fuzzing: a fixed list of values known to break parsers and validators
 * (control characters, lone surrogates, SQL and template strings, overflowing and huge numbers,
 * deep nesting, broken JSON), and a seeded {@link Random} to pick and combine them, so a failing
 * run can be repeated exactly.
 */
final class BadInput {
    /** JSON string values (as JSON text) that no validator should choke on. */
    static final List<String> STRINGS = List.of(
            "\"\"", "\" \"", "\"\\t\\n\"", "\"null\"", "\"undefined\"", "\"' OR '1'='1\"", "\"1; DROP TABLE tasks; --\"",
            "\"\\\" OR \\\"\\\"=\\\"\"", "\"<script>alert(1)</script>\"", "\"../../../etc/passwd\"", "\"%00\"", "\"\\u0000\"",
            "\"\\u0007\\u001b[31mred\"", "\"\\r\\nSet-Cookie: a=b\"", "\"\\u202egnp.exe\"", "\"Ω≈ç√∫ 中文 العربية\"",
            "\"😀🚀\"", "\"\\ud83d\"", "\"\\udc00x\\ud800\"", "\"${jndi:ldap://127.0.0.1/a}\"", "\"{{7*7}}\"", "\"NaN\"",
            "\"-1\"", "\"1e309\"", "\"０１２\"", "\"١٢٣\"", "\"pending \"", "\"PENDING\"", "\"in-progress\"",
            "\"" + "x".repeat(501) + "\"", "\"" + "é".repeat(40_000) + "\"");

    /** JSON numbers (as JSON text): zero, negatives, fractions, overflow, huge and tiny. */
    static final List<String> NUMBERS = List.of(
            "0", "-1", "-0", "1.5", "1e2", "1.0", "1e309", "-1e309", "4.9e-324", "9223372036854775807",
            "9223372036854775808", "-9223372036854775809", "18446744073709551616", "1" + "0".repeat(900),
            "1" + "0".repeat(1200), "0." + "0".repeat(900) + "1", "604801", "2147483648", "-2147483649");

    /** Other JSON values of every type but null, which clears a field and so can be valid. */
    static final List<String> OTHERS = List.of(
            "true", "false", "[]", "{}", "[null]", "{\"\": \"\"}", "[[[[[[[[[[1]]]]]]]]]]", "{\"a\": {\"b\": {\"c\": []}}}");

    /** Bodies that are not one JSON object. */
    static final List<String> BROKEN_JSON = List.of(
            "", " ", "{", "}", "{\"title\":", "{\"title\" \"x\"}", "{'title': 'x'}", "{title: \"x\"}", "{\"title\": \"x\",}",
            "{\"title\": \"x\"} trailing", "{\"title\": \"x\"}{}", "[", "]", "nul", "tru", "\"just a string\"", "42", "null",
            "[]", "[{\"title\": \"x\"}]", "{\"title\": \"unterminated}", "{\"title\": \"x\\q\"}", "{\"title\": \"\\u12\"}",
            "{\"title\": NaN}", "{\"title\": Infinity}", "{\"a\": 1e99999}", "{\"title\": \"x\" /* comment */}",
            "{\"title\": \"a\u0001b\"}", "{\"title\": 0x10}", "{\"title\": 01}", "{\"title\": .5}", "{\"title\": +1}",
            "{\"a\": " + "1".repeat(1500) + "}", "\u0000", "{\"title\": \"x\"}\u0000");

    /** Content types a JSON route must refuse. */
    static final List<String> WRONG_CONTENT_TYPES = List.of(
            "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml",
            "text/html", "application/octet-stream", "application/jsonp", "application/json-patch+json", "image/png",
            "*/*", "application", "json", "text/json");

    /** Path segments that are not a task id, percent-encoded where needed. */
    static final List<String> BAD_TASK_IDS = List.of(
            "0", "-1", "-0", "abc", "1.5", "1e3", "0x1", "+1", "%2B1", "%20", "%201", "1%20", "%00", "9223372036854775808",
            "99999999999999999999999999", "-9223372036854775808", "%EF%BC%91", "%D9%A1", "1;DROP%20TABLE", "%27%20OR%201=1",
            "null", "undefined", "NaN", "%F0%9F%98%80", "%C3%28", "%E2%80%AE1", "..", "%2E%2E");

    /** Path segments that are not an instance id. */
    static final List<String> BAD_INSTANCE_IDS = List.of(
            "%20", "%20%20", "%00", "a%00b", "%07", "a%0Ab", "%0D%0A", "%1B%5B31m", "x".repeat(201), "%C3%28", "%7F",
            "%E2%80%8B".repeat(201));

    /** Field names no route accepts. */
    static final List<String> UNKNOWN_FIELDS = List.of(
            "colour", "Title", "TITLE", "title ", " title", "ti\\u0000tle", "id", "created_at", "subtask_ids", "__proto__",
            "constructor", "$where", "' OR 1=1 --", "😀", "", "status\\u200b", "metadata.x", "a".repeat(300));

    private final Random random;

    BadInput(long seed) {
        this.random = new Random(seed);
    }

    int nextInt(int bound) {
        return random.nextInt(bound);
    }

    boolean chance(int percent) {
        return random.nextInt(100) < percent;
    }

    <T> T pick(List<T> values) {
        return values.get(random.nextInt(values.size()));
    }

    /** Any nasty JSON value. */
    String value() {
        return switch (random.nextInt(3)) {
            case 0 -> pick(STRINGS);
            case 1 -> pick(NUMBERS);
            default -> pick(OTHERS);
        };
    }

    /** A nasty value that is not a JSON string. */
    String nonString() {
        return random.nextBoolean() ? pick(NUMBERS) : pick(OTHERS);
    }

    /** A nasty value that is not a positive JSON integer below 2^63. */
    String nonId() {
        String v = value();
        return v.matches("[1-9][0-9]{0,17}") ? "-" + v : v;
    }

    /** JSON nested {@code depth} levels deep, of arrays or objects. */
    String nested(int depth) {
        if (random.nextBoolean()) {
            return "[".repeat(depth) + "]".repeat(depth);
        }
        return "{\"a\":".repeat(depth) + "1" + "}".repeat(depth);
    }

    /** A depth past the limit: just past it, or far past it. */
    int tooDeep(int limit) {
        return random.nextBoolean() ? limit + 1 + random.nextInt(5) : limit * (2 + random.nextInt(200));
    }

    /** {@code json} cut short somewhere inside, so it is never a whole document. */
    String truncated(String json) {
        return json.substring(0, random.nextInt(Math.max(1, json.length() - 1)));
    }

    /** Bytes that are not UTF-8 JSON: invalid UTF-8, UTF-16, or random bytes. */
    byte[] notUtf8() {
        return switch (random.nextInt(3)) {
            case 0 -> new byte[] {'{', '"', 't', 'i', 't', 'l', 'e', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
            case 1 -> "{\"title\": \"x\"}".getBytes(StandardCharsets.UTF_16);
            default -> {
                byte[] bytes = new byte[1 + random.nextInt(200)];
                random.nextBytes(bytes);
                yield bytes;
            }
        };
    }

    /** A JSON object with a few fields of nasty values, names unknown to every route. */
    String junkObject() {
        List<String> fields = new ArrayList<>();
        int n = 1 + random.nextInt(3);
        for (int i = 0; i < n; i++) {
            fields.add("\"" + pick(UNKNOWN_FIELDS) + "\": " + value());
        }
        return "{" + String.join(", ", fields) + "}";
    }
}
