// A process that does nothing observable (benchmarks/small-processes.mjs): what the agent
// costs a CLI, a test file or a script that never makes a span.
