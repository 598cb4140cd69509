package io.taskstate.app.http;

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
import org.eclipse.jetty.http.HttpException;

/**
 * Reads a request body whole, up to the limit, before the servlet behind it does. The MCP
 * transport turns a failed read into a 500 of its own; read here, a body cut at the limit (a
 * chunked one, which announces no length) is a 413 in problem details like everywhere else.
 */
final class BufferedBodyFilter extends HttpFilter {
    private final long maxBodyBytes;
    private final String tooLarge;

    BufferedBodyFilter(long maxBodyBytes, String tooLarge) {
        this.maxBodyBytes = maxBodyBytes;
        this.tooLarge = tooLarge;
    }

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
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
            response.setStatus(413);
            response.setContentType(Problems.CONTENT_TYPE);
            response.getOutputStream().write(Json.bytes(Problems.problem(413, tooLarge, request.getRequestURI())));
            return;
        }
        chain.doFilter(new Buffered(request, body), response);
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
