package io.taskstate.app.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The bearer tokens the HTTP API accepts, each with a {@link Role}. None configured means the API
 * is open, as on a developer's machine; any configured means every {@code /api}, {@code /internal}
 * and {@code /mcp} request needs one (see {@link Auth}).
 *
 * <p>Tokens are kept as SHA-256 digests and compared with {@link MessageDigest#isEqual} against
 * every configured digest, so the time a check takes says nothing about how much of a token was
 * right. {@link #toString()} shows only how many tokens each role has.
 */
public final class ApiTokens {
    /** What a token may do; each role includes the ones before it. */
    public enum Role {
        /** Queries: every GET. */
        READ,
        /** Commands: creates, updates, deletes, claims, heartbeats, instance state, and MCP tools. */
        WRITE,
        /** {@code /api/v1/admin/*}. */
        ADMIN;

        /** Whether a token of this role may do what {@code needed} allows. */
        public boolean covers(Role needed) {
            return compareTo(needed) >= 0;
        }

        /** The role as written in the configuration: {@code read}, {@code write}, {@code admin}. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Optional<Role> parse(String label) {
            for (Role r : values()) {
                if (r.label().equals(label)) {
                    return Optional.of(r);
                }
            }
            return Optional.empty();
        }
    }

    /** No tokens: the API is open. */
    public static final ApiTokens NONE = new ApiTokens(List.of(), null);

    /** RFC 6750's b64token: what an {@code Authorization: Bearer} header can carry unquoted. */
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9\\-._~+/]+=*");
    private static final String FORM = "ROLE:TOKEN with ROLE read, write or admin and TOKEN made of letters, digits, "
            + "- . _ ~ + / (and trailing =), e.g. write:$(openssl rand -hex 32)";

    private record Granted(Role role, byte[] digest) {
    }

    private final List<Granted> granted;
    private final String instanceToken;

    private ApiTokens(List<Granted> granted, String instanceToken) {
        this.granted = List.copyOf(granted);
        this.instanceToken = instanceToken;
    }

    /**
     * Parses tokens from a comma-separated list and a file of one {@code role:token} per line
     * (blank lines and {@code #} comments skipped); either may be absent. A file that holds no
     * token is refused: whoever points at one expects authentication to be on. Error messages name
     * the setting and the entry or line, never the token.
     *
     * @param listName name of the list's setting, for messages
     * @param fileName name of the file's setting, for messages
     */
    public static ApiTokens parse(String listName, Optional<String> list, String fileName, Optional<Path> file) {
        List<Entry> entries = new ArrayList<>();
        list.ifPresent(l -> {
            String[] parts = l.split(",", -1);
            for (int i = 0; i < parts.length; i++) {
                entries.add(new Entry(listName + " entry " + (i + 1), parts[i].trim()));
            }
        });
        file.ifPresent(f -> entries.addAll(fileEntries(fileName, f)));
        if (entries.isEmpty()) {
            return NONE;
        }
        List<Granted> granted = new ArrayList<>();
        List<String> raw = new ArrayList<>();
        for (Entry e : entries) {
            Granted g = e.parse();
            for (int i = 0; i < granted.size(); i++) {
                if (MessageDigest.isEqual(granted.get(i).digest(), g.digest())) {
                    throw new IllegalArgumentException(e.where() + " repeats a token given before: give each token one role");
                }
            }
            granted.add(g);
            raw.add(e.text().substring(e.text().indexOf(':') + 1).trim());
        }
        int strongest = 0;
        for (int i = 1; i < granted.size(); i++) {
            if (granted.get(i).role().compareTo(granted.get(strongest).role()) > 0) {
                strongest = i;
            }
        }
        return new ApiTokens(granted, raw.get(strongest));
    }

    private record Entry(String where, String text) {
        Granted parse() {
            int colon = text.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException(where + " must be " + FORM);
            }
            String label = text.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            Role role = Role.parse(label).orElseThrow(() -> new IllegalArgumentException(
                    where + " has the role '" + printable(label) + "'; it must be " + FORM));
            String token = text.substring(colon + 1).trim();
            if (token.isEmpty()) {
                throw new IllegalArgumentException(where + " has no token after '" + label + ":'; it must be " + FORM);
            }
            if (!TOKEN.matcher(token).matches()) {
                throw new IllegalArgumentException(where + " has a token with characters a bearer token cannot carry; it must be " + FORM);
            }
            return new Granted(role, digest(token));
        }

        /** A role is not a secret, but a mistyped line might be a token: show it only when it is short and plain. */
        private static String printable(String label) {
            return label.length() <= 10 && label.chars().allMatch(Character::isLetter) ? label : "(not shown)";
        }
    }

    private static List<Entry> fileEntries(String fileName, Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException(fileName + " " + file + " cannot be read (" + e.getClass().getSimpleName()
                    + "): give the path of a file with one " + FORM + " per line", e);
        }
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).trim();
            if (!line.isEmpty() && !line.startsWith("#")) {
                entries.add(new Entry(fileName + " " + file + " line " + (i + 1), line));
            }
        }
        if (entries.isEmpty()) {
            throw new IllegalArgumentException(fileName + " " + file + " holds no token: write one " + FORM + " per line");
        }
        return entries;
    }

    /** Whether any token is configured, so that requests need one. */
    public boolean enabled() {
        return !granted.isEmpty();
    }

    /** The role of {@code presented}, if it is one of the tokens; compares with every one, in constant time each. */
    public Optional<Role> roleOf(String presented) {
        byte[] digest = digest(presented);
        Role found = null;
        for (Granted g : granted) {
            if (MessageDigest.isEqual(g.digest(), digest)) {
                found = g.role();
            }
        }
        return Optional.ofNullable(found);
    }

    /**
     * The token this instance sends when it calls another instance (forwarded queries) or its own
     * API (the MCP tools): the first configured token of the strongest role. Every instance of
     * one deployment has the same tokens, so each accepts it.
     */
    public Optional<String> instanceToken() {
        return Optional.ofNullable(instanceToken);
    }

    /** How many tokens each role has. */
    public Map<Role, Long> counts() {
        Map<Role, Long> counts = new EnumMap<>(Role.class);
        granted.forEach(g -> counts.merge(g.role(), 1L, Long::sum));
        return counts;
    }

    private static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every Java runtime has SHA-256", e);
        }
    }

    /** Never the tokens: {@code off}, or the count per role. */
    @Override
    public String toString() {
        if (!enabled()) {
            return "off";
        }
        StringBuilder s = new StringBuilder();
        counts().forEach((role, n) -> s.append(s.length() == 0 ? "" : ", ").append(role.label()).append(' ').append(n));
        return granted.size() + " (" + s + "; values masked)";
    }
}
