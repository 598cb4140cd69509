package io.taskstate.benchmarks;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** {@code --name value} and {@code --flag} arguments; an unknown name is an error, not a silent default. */
final class Args {
    private final Map<String, String> values = new HashMap<>();

    private Args() {
    }

    /**
     * @param known the names the caller reads, with {@code --}; flags (no value) end with {@code !},
     *              e.g. {@code "--seed-only!"}
     */
    static Args parse(String[] args, String usage, String... known) {
        Set<String> names = new TreeSet<>();
        Set<String> flags = new TreeSet<>();
        for (String k : known) {
            if (k.endsWith("!")) {
                flags.add(k.substring(0, k.length() - 1));
            } else {
                names.add(k);
            }
        }
        Args a = new Args();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("-h") || arg.equals("--help")) {
                System.out.println(usage);
                System.exit(0);
            }
            String name = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            if (flags.contains(name) && value == null) {
                a.values.put(name, "true");
            } else if (names.contains(name)) {
                if (value == null) {
                    if (i + 1 >= args.length) {
                        fail("missing value for " + name, usage);
                    }
                    value = args[++i];
                }
                a.values.put(name, value);
            } else {
                fail("unknown argument " + arg, usage);
            }
        }
        return a;
    }

    String get(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    int getInt(String name, int fallback) {
        String v = values.get(name);
        try {
            return v == null ? fallback : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer, got '" + v + "'", e);
        }
    }

    double getDouble(String name, double fallback) {
        String v = values.get(name);
        try {
            return v == null ? fallback : Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a number, got '" + v + "'", e);
        }
    }

    boolean flag(String name) {
        return values.containsKey(name);
    }

    private static void fail(String message, String usage) {
        System.err.println(message);
        System.err.println(usage);
        System.exit(2);
    }
}
