// The agent's version, written into the bundle at build time (scripts/build.mjs).
declare const __AGENT_VERSION__: string;
export const AGENT_VERSION: string = typeof __AGENT_VERSION__ === 'string' ? __AGENT_VERSION__ : '0.0.0-dev';
