package io.taskstate.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The direct instant format must be java.time's ISO_INSTANT exactly, both ways, and hand every other form to Jackson. */
class IsoInstantsTest {
    private static final ObjectMapper STOCK = JsonMapper.builder().addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).build();

    @Test
    void formats_and_parses_as_iso_instant_does() {
        SplittableRandom random = new SplittableRandom(7);
        long min = Instant.parse("0000-01-01T00:00:00Z").getEpochSecond();
        long max = Instant.parse("9999-12-31T23:59:59Z").getEpochSecond();
        int[] nanoSteps = {1_000_000_000, 1_000_000, 1_000, 1};
        for (int i = 0; i < 200_000; i++) {
            int step = nanoSteps[i % nanoSteps.length];
            Instant t = Instant.ofEpochSecond(random.nextLong(min, max + 1), random.nextInt(1_000_000_000 / step) * step);
            String expected = DateTimeFormatter.ISO_INSTANT.format(t);
            assertThat(IsoInstants.format(t)).isEqualTo(expected);
            assertThat(IsoInstants.parse(expected)).isEqualTo(t);
        }
        for (String edge : List.of("1970-01-01T00:00:00Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z",
                "2024-02-29T12:00:00.1Z", "1969-12-31T23:59:59.5Z")) {
            assertThat(IsoInstants.parse(edge)).isEqualTo(Instant.parse(edge));
            assertThat(IsoInstants.format(Instant.parse(edge))).isEqualTo(DateTimeFormatter.ISO_INSTANT.format(Instant.parse(edge)));
        }
    }

    @Test
    void other_forms_are_left_to_jackson_with_its_answers_and_errors() throws Exception {
        for (String other : List.of("+10000-01-01T00:00:00Z", "2026-12-02T13:54:14+02:00", "2026-12-02T23:59:60Z", "2026-12-02T24:00:00Z",
                "2026-12-02T13:54:14.Z", "2026-12-02T13:54:14.1234567890Z", "1764683654", "2026-12-02t13:54:14Z")) {
            assertThat(IsoInstants.parse(other)).as(other).isNull();
            String json = other.matches("\\d+") ? other : "\"" + other + "\"";
            Object stock;
            try {
                stock = STOCK.readValue(json, Instant.class);
            } catch (Exception e) {
                assertThatThrownBy(() -> Json.MAPPER.readValue(json, Instant.class)).as(other).isInstanceOf(e.getClass());
                continue;
            }
            assertThat(Json.MAPPER.readValue(json, Instant.class)).as(other).isEqualTo(stock);
        }
        for (String notADate : List.of("2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z")) {
            assertThat(IsoInstants.parse(notADate)).as(notADate).isNull();
            assertThatThrownBy(() -> Json.MAPPER.readValue("\"" + notADate + "\"", Instant.class)).as(notADate)
                    .hasMessageContaining(notADate.substring(0, 10));
        }
        Instant farFuture = Instant.parse("+12345-06-07T08:09:10Z");
        assertThat(Json.string(farFuture)).isEqualTo(STOCK.writeValueAsString(farFuture));
        assertThat(Json.MAPPER.readValue(Json.string(farFuture), Instant.class)).isEqualTo(farFuture);
    }
}
