package io.taskstate.app.http;

import io.taskstate.protocol.Json;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Refuses a request whose Content-Length is over the body limit with a 413 the client can read.
 *
 * <p>Answered before the body is read, the connection would be closed with the body still
 * arriving: the server's TCP stack answers that data with a reset, and a client still sending
 * (most read only once they have sent) loses the answer and sees a broken connection. So a body up to
 * {@link #SWALLOW_BYTES} over the limit is read and thrown away first, as Tomcat does up to
 * its {@code maxSwallowSize}; a larger one is refused at once and the connection closed, which
 * spends no more on a client that sends that much. A chunked body, which announces no length,
 * is cut at the limit as it is read, further in (Jetty's {@code SizeLimitHandler}).
 */
final class OversizeBodyHandler extends Handler.Wrapper {
    /** How far over the limit a body is still read through, so that its 413 arrives. */
    static final long SWALLOW_BYTES = 4 * 1024 * 1024;

    private final long maxBodyBytes;
    private final String tooLarge;

    /** @param tooLarge what the 413 says about the limit */
    OversizeBodyHandler(long maxBodyBytes, String tooLarge) {
        this.maxBodyBytes = maxBodyBytes;
        this.tooLarge = tooLarge;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        long length = request.getLength();
        if (length <= maxBodyBytes) {
            return super.handle(request, response, callback);
        }
        if (length > maxBodyBytes + SWALLOW_BYTES) {
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
            refuse(request, response, callback);
        } else {
            Content.Source.consumeAll(request, Callback.from(() -> refuse(request, response, callback), callback::failed));
        }
        return true;
    }

    private void refuse(Request request, Response response, Callback callback) {
        response.setStatus(413);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, Problems.CONTENT_TYPE);
        byte[] body = Json.bytes(Problems.problem(413, tooLarge, request.getHttpURI().getPath()));
        response.write(true, ByteBuffer.wrap(body), callback);
    }
}
