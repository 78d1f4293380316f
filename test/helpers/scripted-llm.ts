// The scripted LLMs live in support/, the one home for code that both the tests and the benchmarks use.
export * from '../../support/scripted-llm.js';
