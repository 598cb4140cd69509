/**
 * Benchmarks against a running taskstate server: {@link io.taskstate.benchmarks.CreateLatency},
 * {@link io.taskstate.benchmarks.GetThroughput}, and {@link io.taskstate.benchmarks.Summarize} for
 * the figures of several runs. Plain main classes, never tests; {@code benchmarks/run.sh} drives them.
 */
package io.taskstate.benchmarks;
