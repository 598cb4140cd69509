package io.taskstate.app.http;

import io.javalin.http.Context;
import io.javalin.router.Endpoint;
import io.taskstate.app.http.ApiTokens.Role;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Locale;
import java.util.Optional;

/**
 * Bearer-token checks for the HTTP API, when {@link ApiTokens} are configured. The role a request
 * needs follows from its route, not its raw path (so no spelling of a path slips past):
 * {@code /health/*}, {@code /openapi.json} and the dashboard's files ({@code /}, {@code /dashboard/*}) are open, and so is {@code /metrics} unless configured to need read; {@code /api/v1/admin/*} and {@code /internal/v1/check} need admin;
 * the other {@code /internal/*} routes (instances asking each other) need read; {@code /mcp}
 * needs write, since its tools write; otherwise GET needs read and every other method write.
 * The events stream also takes the token as {@code ?access_token=}, for browsers' EventSource.
 * Answers are 401 (no token, or one that is not configured) and 403 (a token of too weak a role),
 * as problem details that never repeat the token.
 */
final class Auth {
    static final String HEADER = "Authorization";
    private static final String CHALLENGE = "Bearer realm=\"taskstate\"";

    private final ApiTokens tokens;
    private final boolean metricsNeedToken;

    /** @param metricsNeedToken whether {@link ApiServer#METRICS_PATH} needs a read token; otherwise it is open like {@code /health/*} */
    Auth(ApiTokens tokens, boolean metricsNeedToken) {
        this.tokens = tokens;
        this.metricsNeedToken = metricsNeedToken;
    }

    /** A refusal: the status and what to do about it. */
    record Refusal(int status, String detail) {
    }

    /** The role {@code method} on the route {@code pattern} needs; empty when it is open to all. */
    static Optional<Role> required(String method, String pattern) {
        if (pattern.startsWith("/health/") || pattern.equals(ApiDescription.PATH) || pattern.equals("/")
                || pattern.startsWith(Dashboard.FILES)) {
            return Optional.empty();
        }
        if (pattern.startsWith("/api/v1/admin/") || pattern.startsWith("/internal/v1/check")) {
            return Optional.of(Role.ADMIN);
        }
        if (pattern.startsWith("/internal/")) {
            return Optional.of(Role.READ);
        }
        if (pattern.equals(ApiServer.MCP_PATH)) {
            return Optional.of(Role.WRITE);
        }
        return Optional.of(method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS") ? Role.READ : Role.WRITE);
    }

    /** Why a request with this {@code Authorization} header may not do what {@code needed} allows; empty if it may. */
    Optional<Refusal> refusal(String authorization, Role needed, String method, String path) {
        if (!tokens.enabled()) {
            return Optional.empty();
        }
        if (authorization == null || authorization.isBlank()) {
            return Optional.of(new Refusal(401, "This API needs a bearer token: send 'Authorization: Bearer <token>' "
                    + "with a token of role " + needed.label() + " or stronger (the SDK's token(), the CLI's --token or TASKSTATE_TOKEN)"));
        }
        String value = authorization.strip();
        if (value.length() < 7 || !value.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
            return Optional.of(new Refusal(401, "The Authorization header must be 'Bearer <token>'"));
        }
        Optional<Role> role = tokens.roleOf(value.substring(7).strip());
        if (role.isEmpty()) {
            return Optional.of(new Refusal(401, "The bearer token is not one this server accepts: check it against "
                    + "TASKSTATE_API_TOKENS or TASKSTATE_API_TOKENS_FILE"));
        }
        if (!role.get().covers(needed)) {
            return Optional.of(new Refusal(403, "A token of role " + role.get().label() + " may not " + method + " " + path
                    + ": that needs role " + needed.label() + " or stronger"));
        }
        return Optional.empty();
    }

    /** For Javalin's before-matched step: refuses by throwing, which {@link Problems} answers. */
    void check(Context ctx) {
        Endpoint endpoint = ctx.endpoints().matchedHttpEndpoint();
        if (endpoint == null || (endpoint.path.equals(ApiServer.METRICS_PATH) && !metricsNeedToken)) {
            return;
        }
        Optional<Role> needed = required(ctx.method().name(), endpoint.path);
        if (needed.isEmpty()) {
            return;
        }
        String authorization = ctx.header(HEADER);
        if (authorization == null && endpoint.path.equals(EventsRoute.PATH) && ctx.queryParam("access_token") != null) {
            // a browser's EventSource cannot send headers, so the events stream also takes the token in its URL
            authorization = "Bearer " + ctx.queryParam("access_token");
        }
        Optional<Refusal> refusal = refusal(authorization, needed.get(), ctx.method().name(), ctx.path());
        if (refusal.isPresent()) {
            if (refusal.get().status() == 401) {
                ctx.header("WWW-Authenticate", CHALLENGE);
            }
            throw new ApiException(refusal.get().status(), refusal.get().detail());
        }
    }

    /** The same check for the MCP servlet, which Javalin's handlers do not see. */
    Filter mcpFilter() {
        return new Filter() {
            @Override
            public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
                    throws IOException, ServletException {
                HttpServletRequest req = (HttpServletRequest) request;
                Optional<Refusal> refusal = refusal(req.getHeader(HEADER), Role.WRITE, req.getMethod(), ApiServer.MCP_PATH);
                if (refusal.isEmpty()) {
                    chain.doFilter(request, response);
                    return;
                }
                HttpServletResponse res = (HttpServletResponse) response;
                res.setStatus(refusal.get().status());
                if (refusal.get().status() == 401) {
                    res.setHeader("WWW-Authenticate", CHALLENGE);
                }
                res.setContentType(Problems.CONTENT_TYPE);
                res.getOutputStream().write(Problems.body(refusal.get().status(), refusal.get().detail(), req.getRequestURI(), null));
            }
        };
    }
}
