package io.github.peft4j.serve.http;

import io.javalin.http.Context;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.BufferUtil;

/**
 * Notices that the client of a request still waiting for its answer went away. Jetty 12 reads from
 * a connection only while the application reads the request or writes the response, so a client
 * that closes its socket while a non-streaming completion is generated goes unnoticed until the
 * answer is written (its failure listeners do not fire). This probe reads at most one byte from the
 * connection's endpoint, without blocking, once the request body has been read: {@code -1} is the
 * client's close. A client that sends more bytes meanwhile pipelines a request behind a POST, which
 * HTTP/1.1 clients must not do (RFC 9112 §9.3.2); that byte cannot be put back, so the answer closes
 * the connection ({@code Connection: close}) and probing stops.
 *
 * <pre>{@code
 * ClientProbe probe = ClientProbe.of(ctx);
 * while (!done) { if (probe.gone()) { request.cancel(); break; } ... }
 * }</pre>
 */
final class ClientProbe {

    private final Context ctx;
    private final EndPoint endPoint;
    private boolean stopped;

    private ClientProbe(Context ctx, EndPoint endPoint) {
        this.ctx = ctx;
        this.endPoint = endPoint;
        this.stopped = endPoint == null;
    }

    /**
     * @param ctx a request whose body has been read
     * @return its probe (one that never reports a close when the connection is not Jetty's HTTP/1.1 endpoint)
     */
    static ClientProbe of(Context ctx) {
        EndPoint endPoint = null;
        try {
            ServletContextRequest request = ServletContextRequest.getServletContextRequest(ctx.req());
            if (request != null && "HTTP/1.1".equals(ctx.req().getProtocol())) {
                endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
            }
        } catch (RuntimeException e) {
            // not served by Jetty's servlet layer: nothing to probe
        }
        return new ClientProbe(ctx, endPoint);
    }

    /** @return whether the client has closed its connection */
    boolean gone() {
        if (stopped) {
            return false;
        }
        if (!endPoint.isOpen() || endPoint.isInputShutdown()) {
            return true;
        }
        try {
            ByteBuffer one = BufferUtil.allocate(1);
            int read = endPoint.fill(one);
            if (read > 0) {
                stopped = true;
                ctx.header("Connection", "close");
            }
            return read < 0;
        } catch (IOException e) {
            return true;
        }
    }
}
