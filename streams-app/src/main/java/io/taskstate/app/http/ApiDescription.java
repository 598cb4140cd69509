package io.taskstate.app.http;

import io.javalin.config.RoutesConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The OpenAPI 3 document of every route, served at {@link #PATH}. It is written by hand in the
 * resource {@code openapi.json}, read once from the jar; {@code OpenApiTest} fails when a
 * registered route is missing from it or it describes a route that does not exist.
 */
final class ApiDescription {
    /** Where the document is served, open to all like {@code /health/*}. */
    static final String PATH = "/openapi.json";
    private static final String RESOURCE = "/openapi.json";

    private final byte[] document;

    ApiDescription() {
        try (InputStream in = ApiDescription.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("The resource " + RESOURCE + " is missing from the jar");
            }
            document = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void register(RoutesConfig r) {
        r.get(PATH, ctx -> ctx.contentType("application/json").result(document));
    }
}
