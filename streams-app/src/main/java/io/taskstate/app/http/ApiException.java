package io.taskstate.app.http;

/** A request the HTTP layer refuses before it reaches Kafka; becomes problem details with {@link #status}. */
final class ApiException extends RuntimeException {
    final int status;

    ApiException(int status, String detail) {
        super(detail, null, false, false);
        this.status = status;
    }

    static ApiException badRequest(String detail) {
        return new ApiException(400, detail);
    }
}
