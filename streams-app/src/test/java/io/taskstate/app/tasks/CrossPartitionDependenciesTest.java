package io.taskstate.app.tasks;

import static io.taskstate.app.tasks.TaskDriver.claim;
import static io.taskstate.app.tasks.TaskDriver.complete;
import static io.taskstate.app.tasks.TaskDriver.delete;
import static io.taskstate.app.tasks.TaskDriver.update;
import static org.assertj.core.api.Assertions.assertThat;

import io.taskstate.protocol.CommandType;
import io.taskstate.protocol.Outcome;
import io.taskstate.protocol.Reply;
import io.taskstate.protocol.Task;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.junit.jupiter.api.Test;

/**
 * A dependency on another partition: its partition learns of the dependent through an internal
 * command and tells it every change of its completion, once, in order, through another.
 */
class CrossPartitionDependenciesTest {
    private final PartitionedProcessors partitions = new PartitionedProcessors(3);

    private void completed(long id) {
        Reply reply = partitions.send(complete(id, "{'assignee': 'w', 'force': true}"));
        assertThat(reply.isOk()).as(reply.message()).isTrue();
    }

    private long edges(int partition) {
        long n = 0;
        try (KeyValueIterator<Bytes, byte[]> it = partitions.dependents(partition).all()) {
            while (it.hasNext()) {
                it.next();
                n++;
            }
        }
        return n;
    }

    @Test
    void a_dependent_on_another_partition_waits_and_cannot_be_claimed() {
        // Given
        Task dependency = partitions.created(0, "{'title': 'dependency'}");

        // When
        Task dependent = partitions.created(1, "{'title': 'dependent', 'depends_on': [" + dependency.id() + "]}");

        // Then
        assertThat(dependent.ready()).isFalse();
        assertThat(partitions.task(dependent.id()).ready()).isFalse();
        assertThat(partitions.sent(CommandType.WATCH_DEPENDENCY)).singleElement()
                .satisfies(r -> assertThat(r.partition()).isEqualTo(0));
        assertThat(edges(0)).isEqualTo(1);
        Reply claim = partitions.send(claim(dependent.id(), "{'assignee': 'w'}"));
        assertThat(claim.outcome()).isEqualTo(Outcome.CONFLICT);
        assertThat(claim.message()).contains("waiting for its dependencies: " + dependency.id());
    }

    @Test
    void a_dependency_across_partitions_becomes_ready_exactly_once() {
        // Given
        Task dependency = partitions.created(0, "{'title': 'dependency'}");
        Task dependent = partitions.created(1, "{'title': 'dependent', 'depends_on': [" + dependency.id() + "]}");
        int snapshotsBefore = partitions.snapshotsOf(dependent.id()).size();

        // When
        completed(dependency.id());

        // Then
        assertThat(partitions.task(dependent.id()).ready()).isTrue();
        assertThat(partitions.task(dependent.id()).statusReason()).isEqualTo("Dependency " + dependency.id() + " completed: ready");
        assertThat(partitions.snapshotsOf(dependent.id())).hasSize(snapshotsBefore + 1);
        PartitionedProcessors.Routed notice = partitions.sent(CommandType.DEPENDENCY_STATUS).get(1);
        assertThat(notice.partition()).isEqualTo(1);
        assertThat(notice.command().payload().path("state").asText()).isEqualTo("completed");

        // a second delivery of the same notice changes nothing
        partitions.redeliver(notice);
        assertThat(partitions.snapshotsOf(dependent.id())).hasSize(snapshotsBefore + 1);
        assertThat(partitions.send(claim(dependent.id(), "{'assignee': 'w'}")).isOk()).isTrue();
    }

    @Test
    void a_dependency_completed_before_the_watch_arrives_is_reported_completed() {
        // Given
        Task dependency = partitions.created(0, "{'title': 'dependency'}");
        partitions.hold();
        Task dependent = partitions.created(1, "{'title': 'dependent', 'depends_on': [" + dependency.id() + "]}");
        completed(dependency.id());

        // When
        partitions.release();

        // Then
        assertThat(partitions.task(dependent.id()).ready()).isTrue();
    }

    @Test
    void a_dependency_deleted_before_the_watch_arrives_is_reported_deleted_not_missing() {
        // Given: the dependent's watch is still on its way when the dependency is deleted
        Task dependency = partitions.created(0, "{'title': 'dependency'}");
        partitions.hold();
        Task dependent = partitions.created(1, "{'title': 'dependent', 'depends_on': [" + dependency.id() + "]}");
        partitions.send(delete(dependency.id()));

        // When
        partitions.release();

        // Then
        Task after = partitions.task(dependent.id());
        assertThat(after.dependsOn()).isEmpty();
        assertThat(after.ready()).isTrue();
        assertThat(after.statusReason()).isEqualTo("Dependency " + dependency.id() + " was deleted; removed from depends_on: ready");
    }

    @Test
    void a_dependency_that_turns_out_missing_is_dropped_with_the_reason() {
        // When  (id 4 is partition 0's second id, never handed out)
        Task dependent = partitions.created(1, "{'title': 'dependent', 'depends_on': [4]}");

        // Then
        Task after = partitions.task(dependent.id());
        assertThat(after.dependsOn()).isEmpty();
        assertThat(after.ready()).isTrue();
        assertThat(after.statusReason()).isEqualTo("Dependency 4 does not exist; removed from depends_on: ready");
        assertThat(edges(0)).isZero();
    }

    @Test
    void reopening_a_dependency_on_another_partition_makes_the_dependent_wait_again() {
        // Given
        Task dependency = partitions.created(0, "{'title': 'dependency'}");
        Task dependent = partitions.created(1, "{'title': 'dependent', 'depends_on': [" + dependency.id() + "]}");
        completed(dependency.id());

        // When
        partitions.send(update(dependency.id(), "{'status': 'pending'}"));

        // Then
        assertThat(partitions.task(dependent.id()).openDependencies()).containsExactly(dependency.id());
    }

    @Test
    void deleting_a_dependency_on_another_partition_frees_the_dependent() {
        // Given
        Task dependency = partitions.created(0, "{'title': 'dependency'}");
        Task other = partitions.created(0, "{'title': 'other'}");
        Task dependent = partitions.created(1, "{'title': 'dependent', 'depends_on': [" + dependency.id() + ", " + other.id() + "]}");

        // When
        partitions.send(delete(dependency.id()));

        // Then
        Task after = partitions.task(dependent.id());
        assertThat(after.dependsOn()).containsExactly(other.id());
        assertThat(after.openDependencies()).containsExactly(other.id());
        assertThat(after.statusReason()).isEqualTo("Dependency " + dependency.id() + " was deleted; removed from depends_on; waiting for "
                + other.id());
        assertThat(edges(0)).isEqualTo(1);
    }

    @Test
    void a_dependency_removed_by_update_is_unwatched_and_its_later_changes_are_not_heard() {
        // Given
        Task dependency = partitions.created(0, "{'title': 'dependency'}");
        Task dependent = partitions.created(1, "{'title': 'dependent', 'depends_on': [" + dependency.id() + "]}");

        // When
        Reply reply = partitions.send(update(dependent.id(), "{'depends_on': []}"));
        completed(dependency.id());

        // Then
        assertThat(reply.isOk()).isTrue();
        assertThat(partitions.sent(CommandType.UNWATCH_DEPENDENCY)).singleElement()
                .satisfies(r -> assertThat(r.partition()).isEqualTo(0));
        assertThat(edges(0)).isZero();
        assertThat(partitions.task(dependent.id()).statusReason()).isNull();
    }

    @Test
    void deleting_a_dependent_unwatches_its_dependencies_elsewhere() {
        // Given
        Task dependency = partitions.created(0, "{'title': 'dependency'}");
        Task dependent = partitions.created(2, "{'title': 'dependent', 'depends_on': [" + dependency.id() + "]}");

        // When
        partitions.send(delete(dependent.id()));

        // Then
        assertThat(edges(0)).isZero();
    }

    @Test
    void a_notice_for_a_task_that_no_longer_depends_on_the_sender_is_ignored() {
        // Given
        Task dependency = partitions.created(0, "{'title': 'dependency'}");
        Task dependent = partitions.created(1, "{'title': 'dependent', 'depends_on': [" + dependency.id() + "]}");
        partitions.hold();
        completed(dependency.id());
        partitions.send(update(dependent.id(), "{'depends_on': []}"));
        int snapshots = partitions.snapshotsOf(dependent.id()).size();

        // When
        partitions.release();

        // Then
        assertThat(partitions.snapshotsOf(dependent.id())).hasSize(snapshots);
        assertThat(partitions.task(dependent.id()).dependsOn()).isEmpty();
    }

    @Test
    void dependencies_on_several_partitions_all_have_to_complete() {
        // Given
        Task a = partitions.created(0, "{'title': 'a'}");
        Task b = partitions.created(2, "{'title': 'b'}");
        Task local = partitions.created(1, "{'title': 'local'}");
        Task dependent = partitions.created(1, "{'title': 'dependent', 'depends_on': [" + a.id() + ", " + b.id() + ", "
                + local.id() + "]}");

        // When
        completed(a.id());
        completed(local.id());

        // Then
        assertThat(partitions.task(dependent.id()).openDependencies()).containsExactly(b.id());
        completed(b.id());
        assertThat(partitions.task(dependent.id()).ready()).isTrue();
    }
}
