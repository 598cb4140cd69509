package io.taskstate.app.http;

import io.taskstate.protocol.Json;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Answers the errors Jetty raises itself, before a request reaches a route (an unreadable URI or
 * header, a body over the limit), as problem details like every other error, instead of an HTML page.
 */
final class ProblemErrorHandler extends ErrorHandler {
    private final String bodyLimit;

    /** @param bodyLimit what a 413 says about the limit */
    ProblemErrorHandler(String bodyLimit) {
        this.bodyLimit = bodyLimit;
    }

    /** Every method gets a body: Jetty's default gives PUT, PATCH and DELETE an empty one. */
    @Override
    public boolean errorPageForMethod(String method) {
        return true;
    }

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                    Callback callback) {
        String path = request.getHttpURI() == null ? "" : request.getHttpURI().getPath();
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, Problems.CONTENT_TYPE);
        // Jetty closes the connection after a request it could not parse: say so, or a client reuses it and gets nothing
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
        byte[] body = Json.bytes(Problems.problem(code, detail(code, message), path));
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    private String detail(int code, String message) {
        String reason = message == null || message.isBlank() ? "" : " (" + message + ")";
        return switch (code) {
            case 400 -> "The request could not be parsed" + reason + ": percent-encode the URL (no control characters, "
                    + "no %00, valid UTF-8) and send well-formed headers";
            case 413 -> bodyLimit;
            case 414 -> "The URL is too long" + reason;
            case 431 -> "The request headers are too large" + reason;
            default -> "The request failed" + reason;
        };
    }
}
