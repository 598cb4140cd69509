package io.taskstate.app.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.taskstate.protocol.Json;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.eclipse.jetty.http.HttpException;

/**
 * Reads and checks each message POSTed to MCP before the transport does. The transport answers a
 * failed read with a 500 of its own, and some malformed JSON-RPC with a 500 ({@code null}) or with
 * nothing at all (params that are not an object), leaving the client waiting. Read here, a body
 * cut at the limit (a chunked one announces no length) is a 413 in problem details as everywhere
 * else, and a message that is not one well-formed JSON-RPC object is a 400 with a JSON-RPC error
 * saying what is wrong.
 */
final class McpRequestFilter extends HttpFilter {
    private final long maxBodyBytes;
    private final String tooLarge;

    private final List<String> protocolVersions;

    /** @param protocolVersions the MCP versions the transport speaks; a request naming another is refused */
    McpRequestFilter(long maxBodyBytes, String tooLarge, List<String> protocolVersions) {
        this.maxBodyBytes = maxBodyBytes;
        this.tooLarge = tooLarge;
        this.protocolVersions = List.copyOf(protocolVersions);
    }

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (!"POST".equals(request.getMethod())) {
            if (Set.of("GET", "DELETE").contains(request.getMethod())) {
                chain.doFilter(request, response);
            } else {
                problem(response, 405, "Method " + request.getMethod() + " is not allowed on " + request.getRequestURI()
                        + ": MCP over Streamable HTTP takes POST (messages), GET (the event stream) and DELETE (end a session)",
                        request.getRequestURI());
            }
            return;
        }
        byte[] body;
        try {
            body = request.getInputStream().readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBodyBytes + 1));
        } catch (IOException | RuntimeException e) {
            if (!(e instanceof HttpException) && !(e.getCause() instanceof HttpException)) {
                throw e;
            }
            body = null;
        }
        if (body == null || body.length > maxBodyBytes) {
            problem(response, 413, tooLarge, request.getRequestURI());
            return;
        }
        String version = request.getHeader("MCP-Protocol-Version");
        String invalid = version != null && !protocolVersions.contains(version)
                ? "Invalid Request: unsupported MCP-Protocol-Version " + ApiServer.shorten(version) + "; supported: " + String.join(", ", protocolVersions)
                : invalid(body);
        if (invalid != null) {
            response.setStatus(400);
            response.setContentType("application/json");
            ObjectNode answer = Json.object().put("jsonrpc", "2.0").putNull("id");
            answer.putObject("error").put("code", invalid.startsWith("Parse error") ? -32700 : -32600).put("message", invalid);
            response.getOutputStream().write(Json.bytes(answer));
            return;
        }
        chain.doFilter(new Buffered(request, body), response);
    }

    private static void problem(HttpServletResponse response, int status, String detail, String path) throws IOException {
        response.setStatus(status);
        response.setContentType(Problems.CONTENT_TYPE);
        response.getOutputStream().write(Json.bytes(Problems.problem(status, detail, path)));
    }

    /** What is wrong with {@code body} as one JSON-RPC 2.0 message, or null when nothing is. */
    static String invalid(byte[] body) {
        JsonNode message;
        try {
            message = Json.tree(body);
        } catch (IOException e) {
            return "Parse error: the body is not JSON ("
                    + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()) + ")";
        }
        if (message == null || !message.isObject()) {
            return "Invalid Request: send one JSON-RPC message, a JSON object (batches are not supported)";
        }
        if (!"2.0".equals(message.path("jsonrpc").textValue())) {
            return "Invalid Request: jsonrpc must be \"2.0\"";
        }
        JsonNode id = message.get("id");
        if (id != null && !id.isTextual() && !(id.isIntegralNumber() && id.canConvertToLong())) {
            return "Invalid Request: id must be a string or an integer";
        }
        if (message.has("result") || message.has("error")) {
            return id == null ? "Invalid Request: a response needs the id of its request" : null;
        }
        if (!message.path("method").isTextual() || message.get("method").asText().isEmpty()) {
            return "Invalid Request: method must be a non-empty string";
        }
        JsonNode params = message.get("params");
        if (params != null && !params.isObject()) {
            return "Invalid params: params must be an object";
        }
        if (message.get("method").asText().equals("tools/call")) {
            if (params == null || !params.path("name").isTextual() || params.get("name").asText().isEmpty()) {
                return "Invalid params: tools/call needs params.name, the tool's name";
            }
            JsonNode arguments = params.get("arguments");
            if (arguments != null && !arguments.isNull() && !arguments.isObject()) {
                return "Invalid params: params.arguments must be an object of the tool's arguments";
            }
        }
        return null;
    }

    /** The request with its body already read. */
    private static final class Buffered extends HttpServletRequestWrapper {
        private final byte[] body;

        Buffered(HttpServletRequest request, byte[] body) {
            super(request);
            this.body = body;
        }

        @Override
        public ServletInputStream getInputStream() {
            ByteArrayInputStream in = new ByteArrayInputStream(body);
            return new ServletInputStream() {
                @Override
                public int read() {
                    return in.read();
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    return in.read(b, off, len);
                }

                @Override
                public boolean isFinished() {
                    return in.available() == 0;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(ReadListener listener) {
                    throw new IllegalStateException("The body was read already");
                }
            };
        }

        @Override
        public BufferedReader getReader() {
            String encoding = getCharacterEncoding();
            return new BufferedReader(new InputStreamReader(getInputStream(),
                    encoding == null ? StandardCharsets.UTF_8 : java.nio.charset.Charset.forName(encoding)));
        }
    }
}
