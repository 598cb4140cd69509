# syntax=docker/dockerfile:1
# The taskstate server image: `docker compose up --build` builds it (see docker-compose.yml).

# ---- build: the same command as the README's, for the server module and what it needs
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -q -pl streams-app -am package -DskipTests

# ---- run: the jar and its lib/ only; nothing is downloaded at run time
FROM eclipse-temurin:17-jre
RUN groupadd --system taskstate \
 && useradd --system --gid taskstate --home-dir /data --no-create-home taskstate \
 && mkdir /data && chown taskstate:taskstate /data
COPY --from=build /src/streams-app/target/lib/ /app/lib/
COPY --from=build /src/streams-app/target/taskstate.jar /app/taskstate.jar
USER taskstate
WORKDIR /data
# Inside a container, bind every interface and keep state on the volume; compose sets the rest.
ENV TASKSTATE_HTTP_HOST=0.0.0.0 \
    TASKSTATE_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["java", "-jar", "/app/taskstate.jar"]
CMD ["serve"]
